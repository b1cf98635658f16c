"""The spec's security scheme as the integration's auth (credentials as env references).

An integration has one auth; a spec may offer several schemes per operation. The one
used is the first that runbench can send, from the document's global ``security``, else
from the operations (most used first): apiKey (header or query), http bearer, http basic,
OAuth2 client credentials or password. The implicit and authorization-code flows need a
browser; they become bearer auth reading a token from the environment, and a note says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from runbench.core.curl import env_name


def security_auth(
    spec: Mapping[str, Any],
    operations: Sequence[Mapping[str, Any]],
    integration: str,
    notes: list[str],
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(auth table, [(env variable, what it holds)])."""
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    usable = [s for n in _candidates(spec, operations) if isinstance(s := schemes.get(n), Mapping)]
    for scheme in sorted(usable, key=_needs_browser):  # stable: the spec's order otherwise
        found = _auth(scheme, integration, notes)
        if found is not None:
            return found
    return {"type": "none"}, []


def _needs_browser(scheme: Mapping[str, Any]) -> bool:
    flows = scheme.get("flows") or {}
    return scheme.get("type") == "oauth2" and not ({"clientCredentials", "password"} & set(flows))


def _candidates(spec: Mapping[str, Any], operations: Sequence[Mapping[str, Any]]) -> list[str]:
    names = [n for requirement in spec.get("security") or [] for n in requirement]
    used: Counter[str] = Counter(
        n for op in operations for requirement in op.get("security") or [] for n in requirement
    )
    return list(dict.fromkeys(names + [n for n, _ in used.most_common()]))


def _auth(
    scheme: Mapping[str, Any], integration: str, notes: list[str]
) -> tuple[dict[str, Any], list[tuple[str, str]]] | None:
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query"):
        env = env_name(integration, "api_key")
        auth = {
            "type": "api_key",
            "in": scheme["in"],
            "name": scheme.get("name", ""),
            "value": {"env": env},
        }
        return auth, [(env, f"the API key ({scheme['in']} {scheme.get('name', '')})")]
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        env = env_name(integration, "token")
        return {"type": "bearer", "token": {"env": env}}, [(env, "the bearer token")]
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
        user, password = env_name(integration, "username"), env_name(integration, "password")
        auth = {"type": "basic", "username": {"env": user}, "password": {"env": password}}
        return auth, [(user, "the username"), (password, "the password")]
    if kind == "oauth2":
        return _oauth2(scheme.get("flows") or {}, integration, notes)
    return None


def _oauth2(
    flows: Mapping[str, Any], integration: str, notes: list[str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    client_id, secret = env_name(integration, "client_id"), env_name(integration, "client_secret")
    env = [(client_id, "the OAuth2 client id"), (secret, "the OAuth2 client secret")]
    for flow, grant in (("clientCredentials", "client_credentials"), ("password", "password")):
        found = flows.get(flow)
        if isinstance(found, Mapping) and found.get("tokenUrl"):
            auth: dict[str, Any] = {
                "type": "oauth2",
                "grant": grant,
                "token_url": str(found["tokenUrl"]),
                "client_id": {"env": client_id},
                "client_secret": {"env": secret},
            }
            if found.get("scopes"):
                auth["scope"] = " ".join(found["scopes"])
            if grant == "password":
                user, password = (
                    env_name(integration, "username"),
                    env_name(integration, "password"),
                )
                auth |= {"username": {"env": user}, "password": {"env": password}}
                env += [(user, "the username"), (password, "the password")]
            return auth, env
    token = env_name(integration, "token")
    notes.append(
        f"the spec's OAuth2 flows ({', '.join(flows) or 'none'}) need a browser; the "
        f"integration sends a bearer token from {token} instead"
    )
    return {"type": "bearer", "token": {"env": token}}, [(token, "an OAuth2 access token")]


__all__ = ["security_auth"]
