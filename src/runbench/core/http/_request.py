"""Build the request a method describes: URL, query, headers and body, each escaped for its place.

Every template is rendered in the context it lands in, so a value can never change the
shape of what is sent: ``base_url`` is TEXT (it is configuration, slashes and all), each
``<<ref>>`` in the path is one percent-encoded segment (a value that makes a whole
segment ``.`` or ``..`` is refused: it would move the request to another path of the
API), query values are urlencoded, header names must be HTTP tokens and header values
refuse control characters (CR/LF could smuggle a header, NUL breaks the request; other
non-ASCII text is sent as UTF-8), and the body is escaped for its ``body_type``:

* ``json``: the template is rendered with JSON escaping (``"<<x!>>"`` inside a string,
  ``<<x>>`` as a value); Content-Type defaults to ``application/json``.
* ``form``: either a urlencoded template (``a=<<x>>&b=<<y>>``; each value form-encoded),
  or, when the template is a JSON object (``{"a": <<x>>}``), it is rendered as JSON and
  each member becomes one form field. Strings are sent as they are, true/false/null as
  ``true``/``false``/empty, anything else as JSON text. Content-Type defaults to
  ``application/x-www-form-urlencoded``.
* ``text``: rendered as plain text; Content-Type defaults to ``text/plain; charset=utf-8``.
* ``none``: no body.

Halo also writes path variables as ``{name}``; in the path only, that is an alias of
``<<name>>``. Parsed templates come from the executor's ``TemplateCache``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from urllib.parse import quote_plus

from runbench.core.controls import header_control
from runbench.core.errors import RenderError
from runbench.core.expressions import Context, Template, TemplateCache, to_text
from runbench.core.workspace import Integration, Method

_BRACE_VAR = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_DOT_SEGMENTS = frozenset({".", ".."})
_CONTENT_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "json": "application/json",
        "form": "application/x-www-form-urlencoded",
        "text": "text/plain; charset=utf-8",
    }
)


@dataclass(frozen=True)
class BuiltRequest:
    """A rendered request, before auth is added."""

    verb: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


def brace_path(path: str) -> str:
    """``/tickets/{id}`` -> ``/tickets/<<id>>`` (Halo's path variable spelling)."""
    return _BRACE_VAR.sub(r"<<\1>>", path) if "{" in path else path


def join_url(base: str, path: str) -> str:
    if not path:
        return base
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("?"):
        return base + path
    return base.rstrip("/") + "/" + path.lstrip("/")


def _refuse_dot_segments(template: str, path: str) -> None:
    """A rendered ``.``/``..`` segment would walk out of the method's path (clients and
    servers resolve dot segments): refuse it, unless the template itself has it there."""
    written = template.split("/")
    rendered = path.split("/")
    aligned = len(written) == len(rendered)
    for index, segment in enumerate(rendered):
        if segment in _DOT_SEGMENTS and not (aligned and written[index] == segment):
            raise RenderError(
                f"path segment {index} became {segment!r} after rendering "
                f"({template!r}); a value that is '.' or '..' would leave the method's path, "
                "so nothing was sent. Check the variable's value"
            )


def _checked_header(name: str, value: str) -> tuple[str, str]:
    if not _TOKEN.fullmatch(name):
        raise RenderError(
            f"header name {name!r} is not a valid HTTP header name "
            "(letters, digits and !#$%&'*+-.^_`|~ only)"
        )
    found = header_control(value)
    if found is not None:
        raise RenderError(
            f"header {name} contains the control character "
            f"{found!r} after rendering; headers cannot carry it, so nothing was sent"
        )
    # Whitespace around a field value is not part of it (RFC 9110 5.5), and h11 refuses to
    # send it: "Bearer <<token>>" with an empty token must not fail as a protocol error.
    return name, value.strip(" \t")


def form_field(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return to_text(value)


class RequestBuilder:
    """Renders methods into requests; caches parsed templates."""

    def __init__(self, templates: TemplateCache | None = None) -> None:
        self.templates = templates if templates is not None else TemplateCache()

    def template(self, text: str) -> Template:
        return self.templates.get(text)

    def _render(self, text: str, variables: Mapping[str, Any], context: Context) -> str:
        return self.templates.render(text, variables, context)

    def build(
        self, integration: Integration, method: Method, variables: Mapping[str, Any]
    ) -> BuiltRequest:
        """Render ``method`` of ``integration``. Raises ExpressionError (incl. RenderError)."""
        base = self._render(integration.base_url, variables, Context.TEXT)
        template = brace_path(method.path)
        path = self._render(template, variables, Context.PATH)
        if "." in path and path != template:
            _refuse_dot_segments(template, path)
        url = join_url(base, path)
        if method.query:
            query = "&".join(
                f"{quote_plus(name)}={self._render(value, variables, Context.QUERY)}"
                for name, value in method.query.items()
            )
            url += ("&" if "?" in url else "?") + query
        headers = [
            _checked_header(name, self._render(value, variables, Context.HEADER))
            for name, value in method.headers.items()
        ]
        body = self._body(method, variables)
        if body is not None and not any(n.lower() == "content-type" for n, _ in headers):
            headers.append(("Content-Type", _CONTENT_TYPES[method.body_type]))
        return BuiltRequest(method.verb, url, tuple(headers), body)

    def _body(self, method: Method, variables: Mapping[str, Any]) -> bytes | None:
        kind = method.body_type
        if kind == "none":
            return None
        if kind == "json":
            return self._render(method.body, variables, Context.JSON).encode("utf-8")
        if kind == "form":
            return self._form(method.body, variables).encode("utf-8")
        if kind == "text":
            return self._render(method.body, variables, Context.TEXT).encode("utf-8")
        raise RenderError(
            f"method {method.ref}: unknown body_type {kind!r} (json, form, text, none)"
        )

    def _form(self, body: str, variables: Mapping[str, Any]) -> str:
        if not body.lstrip().startswith("{"):
            return self._render(body.strip(), variables, Context.FORM)
        text = self._render(body, variables, Context.JSON)
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RenderError(
                f"form body starts with '{{' but is not a JSON object after rendering ({exc}); "
                "write it as a=<<x>>&b=<<y>> or as valid JSON"
            ) from None
        if not isinstance(data, dict):
            raise RenderError("form body must be a JSON object or a=<<x>>&b=<<y>> pairs")
        return "&".join(
            f"{quote_plus(str(k))}={quote_plus(form_field(v))}" for k, v in data.items()
        )


__all__ = ["BuiltRequest", "RequestBuilder", "brace_path", "form_field", "join_url"]
