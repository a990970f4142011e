"""The SDK's data types: plain, frozen dataclasses built from the vault's JSON answers.

None of them ever holds a token or an API key: the vault never sends tokens in these answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AppInfo",
    "AuditEvent",
    "AuditPage",
    "ConnectResult",
    "ErrorIssue",
    "Grant",
    "GrantPage",
    "GrantPolicy",
]


@dataclass(frozen=True)
class ErrorIssue:
    """One problem the vault found in a request: where it is (dotted path) and what is wrong."""

    path: str
    message: str


@dataclass(frozen=True)
class GrantPolicy:
    """Limits on the grant ``connect()`` creates, in seconds (each at least 60)."""

    max_ttl_seconds: int | None = None
    """The grant may not live longer than this."""
    default_ttl_seconds: int | None = None
    """The grant's lifetime when nothing else is asked (at most ``max_ttl_seconds``)."""

    @classmethod
    def from_body(cls, body: object) -> GrantPolicy | None:
        """Builds a policy from the vault's ``grant_policy`` object (``None`` stays ``None``)."""
        if not isinstance(body, Mapping):
            return None
        return cls(
            max_ttl_seconds=body.get("max_ttl_seconds"),
            default_ttl_seconds=body.get("default_ttl_seconds"),
        )

    def to_body(self) -> dict[str, int]:
        """The policy as the vault's wire object (unset fields left out)."""
        body: dict[str, int] = {}
        if self.max_ttl_seconds is not None:
            body["max_ttl_seconds"] = self.max_ttl_seconds
        if self.default_ttl_seconds is not None:
            body["default_ttl_seconds"] = self.default_ttl_seconds
        return body


@dataclass(frozen=True)
class ConnectResult:
    """One connected account. Keep ``grant_id``: it is how you use the account later."""

    grant_id: str
    provider_id: str
    account_identifier: str
    scopes: list[str]
    grant_policy: GrantPolicy | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> ConnectResult:
        """Builds a result from one item of a connect session's ``results``."""
        return cls(
            grant_id=body["grant_id"],
            provider_id=body["provider_id"],
            account_identifier=body["account_identifier"],
            scopes=list(body.get("scopes") or []),
            grant_policy=GrantPolicy.from_body(body.get("grant_policy")),
        )


@dataclass(frozen=True)
class Grant:
    """A grant as the vault describes it. Its tokens never leave the vault.

    ``status`` is ``active``, ``expired``, ``revoked`` or ``reauth_required``.
    """

    grant_id: str
    provider_id: str
    account_identifier: str
    scopes: list[str]
    status: str
    status_reason: str | None
    grant_policy: GrantPolicy | None
    expires_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> Grant:
        """Builds a grant from the vault's grant object."""
        return cls(
            grant_id=body["grant_id"],
            provider_id=body["provider_id"],
            account_identifier=body["account_identifier"],
            scopes=list(body.get("scopes") or []),
            status=body["status"],
            status_reason=body.get("status_reason"),
            grant_policy=GrantPolicy.from_body(body.get("grant_policy")),
            expires_at=parse_time(body.get("expires_at")),
            last_used_at=parse_time(body.get("last_used_at")),
            created_at=_required_time(body["created_at"]),
            updated_at=_required_time(body["updated_at"]),
        )


@dataclass(frozen=True)
class GrantPage:
    """One page of grants, newest first."""

    grants: list[Grant]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; ``None`` on the last one."""


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the vault's audit log (a hash chain per app).

    ``type`` is e.g. ``credential.retrieved``, ``credential.refused``, ``request.proxied``,
    ``grant.revoked`` or ``session.completed``; ``outcome`` is ``ok``, ``refused`` or ``error``.
    """

    event_id: str
    seq: int
    type: str
    outcome: str
    created_at: datetime
    grant_id: str | None
    provider_id: str | None
    api_key_prefix: str | None
    reason: str | None
    context: dict[str, Any] | None
    details: dict[str, Any] | None
    hash: str
    prev_hash: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> AuditEvent:
        """Builds an event from the vault's audit event object."""
        return cls(
            event_id=body["event_id"],
            seq=body["seq"],
            type=body["type"],
            outcome=body["outcome"],
            created_at=_required_time(body["created_at"]),
            grant_id=body.get("grant_id"),
            provider_id=body.get("provider_id"),
            api_key_prefix=body.get("api_key_prefix"),
            reason=body.get("reason"),
            context=body.get("context"),
            details=body.get("details"),
            hash=body["hash"],
            prev_hash=body["prev_hash"],
        )


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events, newest first."""

    events: list[AuditEvent]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; ``None`` on the last one."""


@dataclass(frozen=True)
class AppInfo:
    """The app an API key belongs to."""

    app_id: str
    name: str
    api_key_prefix: str
    """The display prefix of the key in use (what audit rows show); never the key itself."""


def parse_time(value: object) -> datetime | None:
    """Parses an ISO 8601 timestamp from the vault (``...Z`` included, on Python 3.10 too)."""
    if not isinstance(value, str):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    return datetime.fromisoformat(text)


def _required_time(value: object) -> datetime:
    parsed = parse_time(value)
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed
