"""The SDK's data types: plain, frozen dataclasses built from the vault's JSON answers.

None of them holds a provider token or an API key: the vault never sends those. Two hold a
bearer secret the caller asked for (``AuthResult.user_token``, ``ConnectSession.session_token``);
their ``repr()`` leaves it out, so it does not end up in logs or tracebacks by accident.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

__all__ = [
    "ApiKey",
    "App",
    "AppInfo",
    "AppProvider",
    "AuditEvent",
    "AuditPage",
    "AuthResult",
    "ConnectResult",
    "ConnectSession",
    "CreatedApiKey",
    "CreatedApp",
    "ErrorIssue",
    "Grant",
    "GrantPage",
    "GrantPolicy",
    "IdentityProvider",
    "OfferedProvider",
    "ProviderParameter",
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
        return _build(cls, body) if isinstance(body, Mapping) else None

    def to_body(self) -> dict[str, int]:
        """The policy as the vault's wire object (unset fields left out)."""
        body: dict[str, int] = {}
        if self.max_ttl_seconds is not None:
            body["max_ttl_seconds"] = self.max_ttl_seconds
        if self.default_ttl_seconds is not None:
            body["default_ttl_seconds"] = self.default_ttl_seconds
        return body


_Built = TypeVar("_Built")
_FromBodyT = TypeVar("_FromBodyT", bound="_FromBody")


class _FromBody:
    """Gives a dataclass ``from_body()``, built by one rule (``_build()``) from the vault's JSON
    object, so a field added to a type needs no code of its own."""

    @classmethod
    def from_body(cls: type[_FromBodyT], body: Mapping[str, Any]) -> _FromBodyT:
        """Builds the object from the vault's JSON object of the same name."""
        return _build(cls, body)


@dataclass(frozen=True)
class ConnectResult(_FromBody):
    """One connected account. Keep ``grant_id``: it is how you use the account later."""

    grant_id: str
    provider_id: str
    account_identifier: str
    scopes: list[str]
    grant_policy: GrantPolicy | None


@dataclass(frozen=True)
class Grant(_FromBody):
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
    connection_params: dict[str, str] | None = None
    """The per-connection parameters (``{"tenant": "acme"}``) its provider's URLs use, or None."""


@dataclass(frozen=True)
class GrantPage:
    """One page of grants, newest first."""

    grants: list[Grant]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; ``None`` on the last one."""


@dataclass(frozen=True)
class AuditEvent(_FromBody):
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


@dataclass(frozen=True)
class AuditPage:
    """One page of audit events, newest first."""

    events: list[AuditEvent]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; ``None`` on the last one."""


@dataclass(frozen=True)
class AppInfo(_FromBody):
    """The app an API key belongs to."""

    app_id: str
    name: str
    api_key_prefix: str
    """The display prefix of the key in use (what audit rows show); never the key itself."""


@dataclass(frozen=True)
class AuthResult:
    """Who signed in with ``authenticate()``.

    ``user_token`` is the identity provider's ID token (a JWT): a bearer credential for this
    user. Pass it as ``user_token=`` (or return it from a ``user_token_getter``); keep it like a
    password. It is left out of ``repr()``.
    """

    user_token: str = field(repr=False)
    """The user token (a JWT); ``verify_user_token()`` tells whose it is."""
    user_info: dict[str, Any]
    """The user's claims from the identity provider (``sub``, ``email``, ``name``, ...)."""


@dataclass(frozen=True)
class ConnectSession(_FromBody):
    """A connect session for a web flow (``create_connect_session()``).

    Hand ``session_token`` to the Connect.js widget (popup), or send the browser to
    ``connect_url`` (redirect). Both are bearer secrets of this one session: they are left out of
    ``repr()``.
    """

    session_id: str
    """The session's id (``cs_...``), for the app's own records."""
    session_token: str = field(repr=False)
    """The Connect page's bearer secret (also inside ``connect_url``)."""
    connect_url: str = field(repr=False)
    """The vault's Connect page for this session."""
    confirmation_code: str
    """Shown on the Connect page too, so the user can tell the link is theirs."""
    expires_at: datetime
    """When the session expires if the user has not finished."""


@dataclass(frozen=True)
class ProviderParameter(_FromBody):
    """A value a connection to the provider needs (a tenant, a shop, a region)."""

    name: str
    """The ``{name}`` the value fills in the provider's URLs."""
    display_name: str
    """What to call it when asking a user."""
    description: str | None
    pattern: str
    """A regular expression every value must match."""


@dataclass(frozen=True)
class OfferedProvider:
    """A provider the app may offer its users (``list_providers()``): never its OAuth client.

    ``kind`` is ``oauth2`` or ``oidc``; ``parameters`` is empty when a connection needs none.
    """

    id: str
    display_name: str
    kind: str
    scopes: list[str]
    parameters: list[ProviderParameter]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> OfferedProvider:
        """Builds the provider from the vault's JSON object."""
        return cls(
            id=body["id"],
            display_name=body["display_name"],
            kind=body["kind"],
            scopes=list(body.get("scopes") or []),
            parameters=[ProviderParameter.from_body(item) for item in body.get("parameters") or []],
        )


@dataclass(frozen=True)
class App(_FromBody):
    """An app as the admin API shows it (``VaultAdmin.apps``)."""

    app_id: str
    name: str
    enabled: bool
    """A disabled app's keys are refused until it is enabled again."""
    allowed_origins: list[str]
    """Web origins allowed as Connect.js popup origins and redirect return URLs."""
    user_grants_need_user_token: bool
    created_at: datetime


@dataclass(frozen=True)
class CreatedApiKey(_FromBody):
    """A new API key. ``api_key`` is shown only here (and left out of ``repr()``): keep it."""

    api_key_id: str
    api_key: str = field(repr=False)
    prefix: str
    scopes: list[str]
    app_id: str | None = None
    name: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class CreatedApp:
    """A new app and its first API key (every scope)."""

    app: App
    api_key: CreatedApiKey

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> CreatedApp:
        """Builds it from ``POST /v1/apps``'s answer."""
        app = App.from_body(body["app"])
        key = {"app_id": app.app_id, **body["api_key"]}
        return cls(app=app, api_key=CreatedApiKey.from_body(key))


@dataclass(frozen=True)
class AppProvider(_FromBody):
    """An app's provider as the admin API shows it: never its client secret."""

    provider_id: str
    enabled: bool
    redirect_uri: str
    """Register this at the provider as the OAuth client's redirect URI."""
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any]
    """The provider document (a providers-file entry, camelCase), without ``clientSecret``."""


@dataclass(frozen=True)
class IdentityProvider(_FromBody):
    """An app's identity provider (sign-in, user tokens) as the admin API shows it: no secret."""

    app_id: str
    enabled: bool
    redirect_uri: str
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any]


@dataclass(frozen=True)
class ApiKey(_FromBody):
    """An app's API key as listed: never the key itself (the vault keeps only its hash).

    ``status`` is ``active``, ``disabled``, ``expired`` or ``revoked``.
    """

    api_key_id: str
    app_id: str
    name: str | None
    prefix: str
    scopes: list[str]
    status: str
    created_at: datetime
    created_by: str | None
    last_used_at: datetime | None
    expires_at: datetime | None
    disabled_at: datetime | None
    revoked_at: datetime | None


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


def _build(cls: Callable[..., _Built], body: Mapping[str, Any]) -> _Built:
    """A dataclass from the vault's JSON object, whose keys are the field names.

    The field's type says how: a field typed ``X | None`` may be missing (``None``), a list may
    be missing (empty), any other field must be there (``KeyError``); timestamps become
    ``datetime`` and ``grant_policy`` a ``GrantPolicy``.
    """
    values: dict[str, Any] = {}
    for name, hint in _field_types(cls).items():
        if typing.get_origin(hint) is list:
            values[name] = list(body.get(name) or [])
        elif type(None) in typing.get_args(hint):
            values[name] = _CONVERT.get(hint, _unchanged)(body.get(name))
        else:
            values[name] = _CONVERT.get(hint, _unchanged)(body[name])
    return cls(**values)


@functools.cache
def _field_types(cls: object) -> dict[str, Any]:
    # Cached: resolving the annotations (strings, with ``from __future__ import annotations``)
    # costs more than building the object.
    return typing.get_type_hints(cls)


def _unchanged(value: Any) -> Any:
    return value


_CONVERT: dict[object, Callable[[Any], Any]] = {
    datetime: _required_time,
    datetime | None: parse_time,
    GrantPolicy | None: GrantPolicy.from_body,
}
"""How a JSON value becomes a field of this type; types not listed are taken as they are."""
