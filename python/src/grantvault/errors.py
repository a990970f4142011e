"""The errors the SDK raises: the same classes, by name and hierarchy, as the TypeScript SDK.

Branch on the class or on ``code`` (stable, from the vault's error registry), never on the
message. No error ever carries an API key or a token: messages come from the vault's registry or
from the SDK itself, and ``details`` holds only the HTTP status, validation issues and ids.
"""

from __future__ import annotations

from typing import Any

from .types import ErrorIssue

__all__ = [
    "AmbiguousGrantError",
    "AuthenticationError",
    "ConnectConfigError",
    "ConnectDeniedError",
    "ConnectFlowError",
    "ConnectTimeoutError",
    "CredentialRevokedError",
    "GrantExpiredError",
    "GrantNotFoundError",
    "GrantRevokedError",
    "HostNotAllowedError",
    "InsufficientScopeError",
    "InvalidUserTokenError",
    "NetworkError",
    "PolicyViolationError",
    "ReAuthRequiredError",
    "TokenRefreshUnavailableError",
    "VaultError",
    "VaultValueError",
    "error_from_response",
    "is_vault_error",
]


class VaultError(Exception):
    """Base of every error the SDK raises.

    Attributes:
        code: A registry code such as ``invalid_api_key``, or one the SDK raises itself
            (``network_error``, ``invalid_argument``, ``unexpected_response``, ``connect_timeout``).
        message: What went wrong, for people.
        status: HTTP status of the vault's answer, when there was one.
        issues: Validation problems the vault listed (``invalid_request``), else ``None``.
        details: Everything above that is not the message, as plain data (JSON-serializable).
    """

    code: str
    message: str
    status: int | None
    issues: list[ErrorIssue] | None
    details: dict[str, Any]

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        issues: list[ErrorIssue] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.issues = issues
        self.details = dict(details or {})
        if status is not None:
            self.details["status"] = status
        if issues is not None:
            self.details["issues"] = [{"path": i.path, "message": i.message} for i in issues]

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        status = "" if self.status is None else f", status={self.status}"
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}{status})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild,
            (type(self), self.code, self.message, self.status, self.issues, self.details),
        )

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data: ``name``, ``code``, ``message`` and the ``details``."""
        return {
            "name": type(self).__name__,
            "code": self.code,
            "message": self.message,
            **self.details,
        }


def _rebuild(
    cls: type[VaultError],
    code: str,
    message: str,
    status: int | None,
    issues: list[ErrorIssue] | None,
    details: dict[str, Any],
) -> VaultError:
    return cls(code, message, status=status, issues=issues, details=details)


class AuthenticationError(VaultError):
    """The API key is missing, wrong or revoked."""


class VaultValueError(VaultError, ValueError):
    """The caller passed something invalid; raised before any network call."""


class GrantNotFoundError(VaultError):
    """No such grant for this app (another app's grant is "not found" too)."""


class ReAuthRequiredError(VaultError):
    """The user must connect the account again. Base of the three cases below."""


class GrantExpiredError(ReAuthRequiredError):
    """The grant is past its expiry (grant policy)."""


class GrantRevokedError(ReAuthRequiredError):
    """The grant was revoked."""


class CredentialRevokedError(ReAuthRequiredError):
    """The provider no longer accepts the grant's tokens (refresh refused, access withdrawn)."""


class HostNotAllowedError(VaultError):
    """The URL is not an API host of the grant's provider: no token was handed out."""


class TokenRefreshUnavailableError(VaultError):
    """The provider could not refresh the token just now; the grant is fine. Safe to retry."""


class NetworkError(VaultError):
    """The vault (or, in retrieve mode, the provider) could not be reached. Safe to retry."""


class ConnectFlowError(VaultError):
    """``connect()`` ended without a grant. Base of the three specific cases below."""


class ConnectDeniedError(ConnectFlowError):
    """The user declined, at the provider or by cancelling on the Connect page."""


class ConnectConfigError(ConnectFlowError):
    """The provider rejected the vault's OAuth client (id, secret, redirect URI, scopes).

    Operator action is needed.
    """


class ConnectTimeoutError(ConnectFlowError):
    """The user did not finish before the timeout (or the session expired)."""


class AmbiguousGrantError(VaultError):
    """The user connected several accounts of the provider; pass ``account=`` to pick one."""

    @property
    def candidates(self) -> list[str]:
        """The account identifiers to pick from (the vault lists them as ``issues``)."""
        return [issue.message for issue in self.issues or []]


class InvalidUserTokenError(VaultError):
    """The user token is not valid for this app (signature, issuer, audience or expiry)."""


class PolicyViolationError(VaultError):
    """The request asks for more than the operator allows (an origin, a scope)."""


class InsufficientScopeError(PolicyViolationError):
    """The API key lacks the scope the call needs (``insufficient_scope``), e.g. a ``proxy`` key
    asking for a token (retrieve mode needs ``use``). The message names the scope."""


class ProviderAPIError(VaultError):
    """Proxy mode: the vault could not get an answer from the provider's API (unreachable, or an
    answer larger than the vault passes on). Provider errors (4xx, 5xx) are responses, not this."""


def is_vault_error(value: object) -> bool:
    """Whether ``value`` is an error raised by this SDK (``isinstance(value, VaultError)``)."""
    return isinstance(value, VaultError)


_BY_CODE: dict[str, type[VaultError]] = {
    "missing_api_key": AuthenticationError,
    "invalid_api_key": AuthenticationError,
    "api_key_revoked": AuthenticationError,
    "api_key_expired": AuthenticationError,
    "api_key_disabled": AuthenticationError,
    "app_disabled": AuthenticationError,
    "grant_not_found": GrantNotFoundError,
    "grant_expired": GrantExpiredError,
    "grant_revoked": GrantRevokedError,
    "reauth_required": CredentialRevokedError,
    "host_not_allowed": HostNotAllowedError,
    "refresh_unavailable": TokenRefreshUnavailableError,
    "ambiguous_grant": AmbiguousGrantError,
    "invalid_user_token": InvalidUserTokenError,
    "origin_not_allowed": PolicyViolationError,
    "scope_not_allowed": PolicyViolationError,
    "insufficient_scope": InsufficientScopeError,
    "retrieve_not_allowed": PolicyViolationError,
    "provider_disabled": PolicyViolationError,
    "user_token_required": PolicyViolationError,
    "method_override_refused": PolicyViolationError,
    "invalid_forwarded_header": PolicyViolationError,
    "upstream_unreachable": ProviderAPIError,
    "upstream_too_large": ProviderAPIError,
}


def error_from_response(status: int, body: object) -> VaultError:
    """Rebuilds the vault's error answer (``{"error": {code, message, issues?}}``) as its class."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return VaultError(
            "unexpected_response",
            f"the vault answered {status} without an error body",
            status=status,
        )
    code: str = error["code"]
    message = error.get("message")
    raw_issues = error.get("issues")
    issues = None
    if isinstance(raw_issues, list):
        issues = [
            ErrorIssue(path=str(item.get("path", "")), message=str(item.get("message", "")))
            for item in raw_issues
            if isinstance(item, dict)
        ]
    cls = _BY_CODE.get(code, VaultError)
    return cls(code, message if isinstance(message, str) else code, status=status, issues=issues)
