"""Integration authentication: what each auth type adds to a request, and OAuth2 tokens.

Static credentials (api_key, bearer, basic) are resolved once per Executor and reused.
OAuth2 access tokens live in a ``TokenCache`` that can outlive one Executor, because a
server running many runbooks should not fetch a token per run: a token is reused until
shortly before it expires (``expires_in`` minus a 60 s margin, measured on the injected
clock), and fetched again once when the API answers 401 anyway (revoked, clock skew).
Every credential is registered with the redactor the moment it is known, so it cannot
show up in a record or an error, including the token endpoint's own error body. The token
answer is read like any other (streamed, capped at ``TOKEN_MAX_BYTES`` or the integration's
``max_response_bytes`` if smaller, decompressed with a bounded output), because a token URL
that streams forever must not grow memory without bound.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urljoin

import httpx

from runbench.core.errors import AuthError, HttpError
from runbench.core.expressions import Context, Template, TemplateCache
from runbench.core.http._clients import timeout_of
from runbench.core.http._failures import classify
from runbench.core.http._records import excerpt
from runbench.core.http._transfer import port_problem, read_capped
from runbench.core.secrets import Redactor, Secrets
from runbench.core.workspace import Auth, Integration

EXPIRY_MARGIN = 60.0
"""Seconds before a token's stated expiry at which it is fetched again."""

TOKEN_MAX_BYTES = 1024 * 1024
"""The most a token endpoint's answer may be (a token answer is a few hundred bytes)."""

DEFAULT_API_KEY_HEADER = "X-Api-Key"
DEFAULT_API_KEY_PARAM = "api_key"

_FETCH_ERRORS = (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, HttpError, ExceptionGroup)
"""What fetching a token may raise (anyio wraps some socket errors in a group)."""


@dataclass(frozen=True)
class Credentials:
    """What auth adds to one request. ``token_key`` is set for OAuth2 (refresh on 401)."""

    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    token_key: str | None = None
    token: str = ""


NO_CREDENTIALS = Credentials()


class TokenCache:
    """OAuth2 access tokens by key; share one across Executors (within one event loop)."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.fetches = 0

    def get(self, key: str, now: float) -> str | None:
        found = self._tokens.get(key)
        if found is None or now >= found[1]:
            return None
        return found[0]

    def put(self, key: str, token: str, expires_at: float) -> None:
        self._tokens[key] = (token, expires_at)

    def invalidate(self, key: str, token: str | None = None) -> None:
        """Forget the token of ``key`` (only if it is still ``token``, when given: a
        concurrent caller may already have replaced it with a fresh one)."""
        found = self._tokens.get(key)
        if found is not None and (token is None or found[0] == token):
            del self._tokens[key]

    def lock(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock


def token_lifetime(expires_in: Any) -> float:
    """Seconds a token is reused: ``expires_in`` minus the margin (at least half of it);
    a token without ``expires_in`` is reused until the API answers 401."""
    if isinstance(expires_in, str):
        try:
            expires_in = float(expires_in)
        except ValueError:
            return math.inf
    if not isinstance(expires_in, (int, float)) or isinstance(expires_in, bool):
        return math.inf
    seconds = float(expires_in)
    return max(seconds - EXPIRY_MARGIN, seconds / 2)


@dataclass(frozen=True)
class _TokenRequest:
    """An OAuth2 token request's URL and form, built once per integration and URL; ``key``
    names the token in the cache (a hash: the form holds secrets)."""

    url: str
    form: tuple[tuple[str, str], ...]
    key: str


class Authenticator:
    """Applies integration auth to requests for one Executor."""

    def __init__(
        self,
        secrets: Secrets,
        redactor: Redactor,
        tokens: TokenCache,
        clock: Callable[[], float],
        templates: TemplateCache | None = None,
    ) -> None:
        self.secrets = secrets
        self.redactor = redactor
        self.tokens = tokens
        self.clock = clock
        self._static: dict[str, Credentials] = {}
        self._token_requests: dict[tuple[str, str], _TokenRequest] = {}
        self.templates = templates if templates is not None else TemplateCache()
        self._seen: set[str] = set()

    def remember(self, value: str) -> None:
        if value and value not in self._seen:
            self._seen.add(value)
            self.secrets.remember(value)
            self.redactor.add(value)

    def _secret(self, value: Any, *, sensitive: bool = True) -> str:
        resolved = self.secrets.resolve(value, sensitive=sensitive)
        if sensitive:
            self.remember(resolved)
        return resolved

    async def credentials(
        self,
        integration: Integration,
        variables: Mapping[str, Any],
        client: httpx.AsyncClient,
        *,
        stale: str | None = None,
    ) -> Credentials:
        """Credentials for a request to ``integration``; ``stale`` is a token the API
        just refused (it is dropped and a new one fetched). Raises AuthError/SecretError."""
        auth = integration.auth
        if auth.type == "oauth2":
            return await self._oauth2(integration, variables, client, stale)
        if auth.type == "none":
            return NO_CREDENTIALS
        found = self._static.get(integration.id)
        if found is None:
            found = self._static[integration.id] = self._static_credentials(auth)
        return found

    def _static_credentials(self, auth: Auth) -> Credentials:
        if auth.type == "api_key":
            value = self._secret(auth.value)
            if auth.location == "query":
                name = auth.name or DEFAULT_API_KEY_PARAM
                self.redactor.sensitive_query(name)
                return Credentials(query=((name, value),))
            name = auth.name or DEFAULT_API_KEY_HEADER
            self.redactor.sensitive_header(name)
            return Credentials(headers=((name, value),))
        if auth.type == "bearer":
            token = self._secret(auth.token)
            self.redactor.sensitive_header(auth.header)
            return Credentials(headers=((auth.header, _prefixed(auth.prefix, token)),))
        if auth.type == "basic":
            username = self._secret(auth.username, sensitive=False)
            password = self._secret(auth.password)
            self.redactor.add_basic(username, password)
            encoded = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            return Credentials(headers=(("Authorization", f"Basic {encoded}"),))
        raise AuthError(
            f"unknown auth type {auth.type!r}; use none, api_key, bearer, basic, oauth2"
        )

    # -- OAuth2 -------------------------------------------------------------------------
    async def _oauth2(
        self,
        integration: Integration,
        variables: Mapping[str, Any],
        client: httpx.AsyncClient,
        stale: str | None,
    ) -> Credentials:
        request = self._token_request(integration, variables)
        if stale is not None:
            self.tokens.invalidate(request.key, stale)
        token = self.tokens.get(request.key, self.clock())
        if token is None:
            async with self.tokens.lock(request.key):
                token = self.tokens.get(request.key, self.clock())
                if token is None:
                    token = await self._fetch(integration, request, client)
        self.remember(token)
        auth = integration.auth
        self.redactor.sensitive_header(auth.header)
        header = (auth.header, _prefixed(auth.prefix, token))
        return Credentials(headers=(header,), token_key=request.key, token=token)

    def _template(self, text: str) -> Template:
        return self.templates.get(text)

    def _token_url(self, integration: Integration, variables: Mapping[str, Any]) -> str:
        auth = integration.auth
        if not auth.token_url:
            raise AuthError(
                f"integration '{integration.id}': oauth2 needs token_url "
                '(e.g. token_url = "<<halo_base>>/auth/token")'
            )
        url = self._template(auth.token_url).render(variables, Context.TEXT)
        if "://" not in url:
            base = self._template(integration.base_url).render(variables, Context.TEXT)
            url = urljoin(base if base.endswith("/") else base + "/", url)
        if auth.params:
            query = "&".join(
                f"{quote_plus(name)}={self._template(value).render(variables, Context.QUERY)}"
                for name, value in auth.params.items()
            )
            url += ("&" if "?" in url else "?") + query
        return url

    def _token_request(
        self, integration: Integration, variables: Mapping[str, Any]
    ) -> _TokenRequest:
        url = self._token_url(integration, variables)
        cached = self._token_requests.get((integration.id, url))
        if cached is not None:
            return cached
        auth = integration.auth
        form: list[tuple[str, str]] = [("grant_type", auth.grant)]
        client_id = self._secret(auth.client_id, sensitive=False)
        if client_id:
            form.append(("client_id", client_id))
        secret = self._secret(auth.client_secret)
        if secret:
            form.append(("client_secret", secret))
        username = ""
        if auth.grant == "password":
            username = self._secret(auth.username, sensitive=False)
            form += [("username", username), ("password", self._secret(auth.password))]
        if auth.scope:
            form.append(("scope", auth.scope))
        identity = "\0".join((integration.id, url, auth.grant, client_id, username, auth.scope))
        key = hashlib.sha256(identity.encode()).hexdigest()
        request = _TokenRequest(url, tuple(form), key)
        self._token_requests[(integration.id, url)] = request
        return request

    async def _fetch(
        self, integration: Integration, token: _TokenRequest, client: httpx.AsyncClient
    ) -> str:
        shown = self.redactor.url(token.url)
        request_key = token.key
        where = f"integration '{integration.id}': token request to {shown}"
        started = self.clock()
        self.tokens.fetches += 1
        limit = min(TOKEN_MAX_BYTES, integration.limits.max_response_bytes)
        try:
            request = client.build_request(
                "POST",
                token.url,
                data=dict(token.form),
                headers={"Accept": "application/json"},
                timeout=timeout_of(integration.limits),
            )
            if (problem := port_problem(request.url)) is not None:
                raise httpx.InvalidURL(f"its {problem}")
            response = await client.send(request, stream=True)
            try:
                content = await read_capped(response, limit)
            finally:
                await response.aclose()
        except _FETCH_ERRORS as exc:
            error = exc if isinstance(exc, HttpError) else classify(exc, shown, integration.limits)
            raise AuthError(
                f"{where} failed ({error.kind}): {self.redactor.text(str(error))}"
            ) from None
        body = self.redactor.text(content.decode("utf-8", "replace"))
        if not 200 <= response.status_code < 300:
            raise AuthError(
                f"{where} was refused: HTTP {response.status_code} {response.reason_phrase}: "
                f"{excerpt(body, 200)}; check {_what_to_check(integration.auth)}"
            )
        return self._accept(response, content, body, where, request_key, started)

    def _accept(
        self,
        response: httpx.Response,
        content: bytes,
        body: str,
        where: str,
        key: str,
        started: float,
    ) -> str:
        try:
            data = json.loads(content)
        except (ValueError, RecursionError):
            data = None
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(
                f"{where} answered HTTP {response.status_code} without an access_token: "
                f"{excerpt(body, 200)}; is token_url right?"
            )
        self.remember(token)
        assert isinstance(data, dict)
        self.tokens.put(key, token, started + token_lifetime(data.get("expires_in")))
        return token


def _prefixed(prefix: str, token: str) -> str:
    return f"{prefix} {token}" if prefix else token


def _what_to_check(auth: Auth) -> str:
    if auth.grant == "password":
        return "username, password, client_id and client_secret (and scope/params)"
    return "client_id and client_secret (and scope/params such as tenant)"


__all__ = [
    "DEFAULT_API_KEY_HEADER",
    "DEFAULT_API_KEY_PARAM",
    "EXPIRY_MARGIN",
    "NO_CREDENTIALS",
    "Authenticator",
    "Credentials",
    "TokenCache",
    "token_lifetime",
]
