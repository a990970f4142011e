"""Connect sessions for web apps (``Vault.create_connect_session()``).

The app's backend creates the session; its browser side hands ``session_token`` to the
Connect.js widget (popup) or sends the browser to ``connect_url`` (redirect, back to
``return_url``). The vault checks ``return_url`` and ``allowed_origin`` against the origins the
operator allowed for the app, and ``required_scopes`` against the provider's configured scopes
(``PolicyViolationError`` otherwise); this module only checks the shape of each argument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import connect as _connect
from .errors import VaultValueError
from .http import VaultHttp
from .identity import check_user_token
from .types import ConnectSession, GrantPolicy


def connect_session_request(
    *,
    allowed_providers: Sequence[str] | str | None = None,
    return_url: str | None = None,
    allowed_origin: str | None = None,
    grant_policy: GrantPolicy | Mapping[str, int] | None = None,
    required_scopes: Mapping[str, Sequence[str]] | None = None,
    metadata: Mapping[str, str] | None = None,
    user_token: str | None = None,
) -> dict[str, Any]:
    """Checks the arguments (before any network call) and builds the session body."""
    body: dict[str, Any] = {}
    if allowed_providers is not None:
        body["allowed_providers"] = _connect.provider_ids(allowed_providers, "allowed_providers")
    if grant_policy is not None:
        body["grant_policy"] = _connect.policy_body(grant_policy)
    for name, value in (("return_url", return_url), ("allowed_origin", allowed_origin)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
            raise VaultValueError("invalid_argument", f"{name} must be an http(s) URL")
        body[name] = value
    if required_scopes is not None:
        body["required_scopes"] = _scopes_body(required_scopes)
    if metadata is not None:
        if not isinstance(metadata, Mapping) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
        ):
            raise VaultValueError("invalid_argument", "metadata must map strings to strings")
        body["metadata"] = dict(metadata)
    if user_token is not None:
        body["user_token"] = check_user_token(user_token)
    return body


def _scopes_body(required_scopes: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if not isinstance(required_scopes, Mapping):
        raise VaultValueError(
            "invalid_argument", "required_scopes must map provider ids to lists of scopes"
        )
    body: dict[str, list[str]] = {}
    for provider, scopes in required_scopes.items():
        if not _connect.is_provider_id(provider):
            raise VaultValueError(
                "invalid_argument", f"required_scopes: not a provider id: {provider!r}"
            )
        if (
            isinstance(scopes, str)
            or not isinstance(scopes, Sequence)
            or not all(isinstance(scope, str) for scope in scopes)
        ):
            raise VaultValueError(
                "invalid_argument", f"required_scopes[{provider!r}] must be a list of scopes"
            )
        body[provider] = list(scopes)
    return body


def create_connect_session(http: VaultHttp, body: Mapping[str, Any]) -> ConnectSession:
    """``POST /v1/connect/sessions`` with a body from ``connect_session_request()``."""
    return ConnectSession.from_body(http.call("POST", "/v1/connect/sessions", dict(body)))
