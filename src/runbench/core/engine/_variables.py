"""Variables of a run: rendering values, typing inputs, coercing outputs.

A value that is exactly one ``<<x>>`` keeps x's type (a number stays a number, an array
stays an array); anything else renders to a string. This is what lets a condition
compare ``<<Count>>`` to 3 as numbers and a foreach take ``<<users>>`` as an array.
Parsed templates come from the engine's ``TemplateCache``, shared with its executors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runbench.core.errors import ExpressionError, RunError
from runbench.core.expressions import (
    Context,
    Template,
    TemplateCache,
    compile_path,
    stored_value,
)
from runbench.core.files import load_json_text
from runbench.core.http import CoercionError, coerce
from runbench.core.workspace import InputSpec, Output


class Renderer:
    """Renders step values against a run's variables, caching parsed templates."""

    def __init__(self, templates: TemplateCache | None = None) -> None:
        self.templates = templates if templates is not None else TemplateCache()

    def template(self, text: str) -> Template:
        return self.templates.get(text)

    def value(self, raw: Any, variables: Mapping[str, Any]) -> Any:
        """``raw`` rendered: typed when it is one ``<<ref>>``, recursing into arrays/tables."""
        if isinstance(raw, str):
            if "<<" not in raw:
                return raw
            template = self.template(raw)
            if template.is_single_ref:
                return template.render_value(variables)
            return template.render(variables, Context.TEXT)
        if isinstance(raw, list):
            return [self.value(item, variables) for item in raw]
        if isinstance(raw, dict):
            return {key: self.value(item, variables) for key, item in raw.items()}
        return raw

    def text(self, raw: str, variables: Mapping[str, Any]) -> str:
        return self.templates.render(raw, variables, Context.TEXT)

    def args(self, args: Mapping[str, Any], variables: Mapping[str, Any]) -> dict[str, Any]:
        return {name: self.value(raw, variables) for name, raw in args.items()}


# -- inputs ------------------------------------------------------------------------
def typed_input(spec: InputSpec, value: Any) -> Any:
    """``value`` as ``spec.type``; RunError naming the input when it cannot be."""
    try:
        return coerce(value, spec.type)
    except CoercionError as exc:
        raise RunError(
            f"input '{spec.name}' must be {spec.type}: {exc} (got {_short(value)})"
        ) from None


def resolve_inputs(specs: Mapping[str, InputSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """Declared inputs, typed, with defaults; a missing required input is a RunError."""
    result: dict[str, Any] = {}
    missing: list[str] = []
    for name, spec in specs.items():
        if name in given:
            result[name] = typed_input(spec, given[name])
        elif spec.has_default:
            result[name] = typed_input(spec, spec.default)
        else:
            missing.append(name)
    if missing:
        names = ", ".join(missing)
        raise RunError(f"missing required input(s): {names}; pass them with --input NAME=VALUE")
    for name, value in given.items():
        result.setdefault(name, value)
    return result


def element_outputs(outputs: tuple[Output, ...], element: Any) -> tuple[dict[str, Any], str | None]:
    """Outputs of a foreach step over one element (bound as ``response``), or the error."""
    values: dict[str, Any] = {}
    for output in outputs:
        try:
            path = compile_path(output.path)
            found = path.evaluate({"response": element, "status": 200, "headers": {}})
            values[output.name] = coerce(stored_value(found, path.raw), output.type)
        except CoercionError as exc:
            return values, f"output '{output.name}' ({output.path}) as {output.type}: {exc}"
        except ExpressionError as exc:
            return values, f"output '{output.name}' ({output.path}): {_first_line(exc)}"
    return values, None


def parse_cli_value(text: str) -> Any:
    """A --var/--input value: JSON when it parses as JSON, else the text itself."""
    try:
        return load_json_text(text)
    except ValueError:  # not JSON, or a number too long to read
        return text


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


__all__ = [
    "Renderer",
    "coerce",
    "element_outputs",
    "parse_cli_value",
    "resolve_inputs",
    "typed_input",
]
