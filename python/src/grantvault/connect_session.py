"""Connect sessions for web apps (``Vault.create_connect_session()``).

The app's backend creates the session; its browser side hands ``session_token`` to the
Connect.js widget (popup) or sends the browser to ``connect_url`` (redirect, back to
``return_url``). The vault checks ``return_url`` and ``allowed_origin`` against the origins the
operator allowed for the app, and ``required_scopes`` against the provider's configured scopes
(``PolicyViolationError`` otherwise); this module only checks the shape of each argument.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import connect as _connect
from .errors import VaultValueError
from .http import VaultHttp
from .identity import check_user_token
from .types import ConnectSession


def create_connect_session(http: VaultHttp, arguments: Mapping[str, Any]) -> ConnectSession:
    """``POST /v1/connect/sessions`` with ``Vault.create_connect_session()``'s arguments."""
    body = connect_session_request(arguments)
    return ConnectSession.from_body(http.call("POST", "/v1/connect/sessions", body))


def connect_session_request(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Checks ``create_connect_session()``'s arguments (before any network call) and builds the
    session body: each argument that is not ``None``, as its check in ``_CHECKS`` returns it."""
    unknown = arguments.keys() - _CHECKS.keys()
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    body: dict[str, Any] = {}
    for name, check in _CHECKS.items():
        value = arguments.get(name)
        if value is not None:
            body[name] = check(value)
    return body


def _http_url_check(name: str) -> Callable[[object], str]:
    """The check of argument ``name``: an http(s) URL (the vault checks which ones are allowed)."""

    def check(value: object) -> str:
        if not isinstance(value, str) or not value.lower().startswith(("http://", "https://")):
            raise VaultValueError("invalid_argument", f"{name} must be an http(s) URL")
        return value

    return check


def _metadata_body(metadata: object) -> dict[str, str]:
    """The app's own labels: strings to strings (copied, as sent)."""
    if not isinstance(metadata, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()
    ):
        raise VaultValueError("invalid_argument", "metadata must map strings to strings")
    return dict(metadata)


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


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "allowed_providers": lambda value: _connect.provider_ids(value, "allowed_providers"),
    "grant_policy": _connect.policy_body,
    "return_url": _http_url_check("return_url"),
    "allowed_origin": _http_url_check("allowed_origin"),
    "required_scopes": _scopes_body,
    "metadata": _metadata_body,
    "user_token": check_user_token,
    "connection_params": _connect.connection_params_body,
}
"""``create_connect_session()``'s arguments, in the order they are checked, each with the check
that returns its value for the session body (or raises ``VaultValueError``)."""
