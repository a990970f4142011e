"""``VaultAdmin``: the control plane of one Grantvault server (the admin API).

Apps, their providers, identity provider and API keys, for scripting an operator's setup. The
same calls as the TypeScript SDK's ``VaultAdmin``, in snake_case. Provider and identity provider
documents are providers-file entries and keep their camelCase field names (``clientId``,
``apiBaseUrls``), as in the file, the CLI and the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .errors import VaultValueError
from .http import VaultHttp
from .types import ApiKey, App, AppProvider, CreatedApiKey, CreatedApp, IdentityProvider

__all__ = ["ApiKeysAdmin", "AppsAdmin", "IdentityProviderAdmin", "ProvidersAdmin", "VaultAdmin"]

_APP_ID = re.compile(r"^app_[0-9a-f]{24}$")
_KEY_ID = re.compile(r"^key_[0-9a-f]{24}$")
_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
"""An argument left out (where ``None`` has a meaning of its own: clear the value)."""


def _app_path(app_id: object) -> str:
    if not isinstance(app_id, str) or not _APP_ID.match(app_id):
        raise VaultValueError(
            "invalid_argument", "app_id: not an app id (app_ and 24 lowercase hex digits)"
        )
    return f"/v1/apps/{app_id}"


def _provider_path(app_id: object, provider_id: object) -> str:
    app = _app_path(app_id)
    if not isinstance(provider_id, str) or not _PROVIDER_ID.match(provider_id):
        raise VaultValueError(
            "invalid_argument",
            "provider_id: not a provider id (lowercase letters, digits, - or _, at most 63)",
        )
    return f"{app}/providers/{provider_id}"


def _api_key_path(app_id: object, key_id: object) -> str:
    app = _app_path(app_id)
    # Never echoes the value: a key pasted here by mistake is a secret.
    if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
        raise VaultValueError(
            "invalid_argument", "key_id: not an API key id (key_ and 24 lowercase hex digits)"
        )
    return f"{app}/api-keys/{key_id}"


def _iso(value: datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if not isinstance(value, datetime):
        raise VaultValueError("invalid_argument", "expires_at must be a datetime, a string or None")
    if value.tzinfo is None:
        raise VaultValueError("invalid_argument", "expires_at must be timezone-aware")
    return value.isoformat()


def _document(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise VaultValueError(
            "invalid_argument", f"{what} must be a mapping (a providers-file entry)"
        )
    return dict(value)


def _given(**values: Any) -> dict[str, Any]:
    """The arguments that were passed (not ``UNSET``), as the wire object's fields."""
    return {name: value for name, value in values.items() if value is not UNSET}


class AppsAdmin:
    """The vault's apps (``VaultAdmin.apps``). An operator key manages every app and alone
    creates apps; an app's key with the ``admin`` scope manages its own app only."""

    def __init__(self, http: VaultHttp) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"AppsAdmin(base_url={self._http.base_url!r})"

    def list(self) -> list[App]:
        """Every app (operator key), or the caller's own app (an app's admin key)."""
        return [App.from_body(item) for item in self._http.call("GET", "/v1/apps")["apps"]]

    def get(self, app_id: str) -> App:
        return App.from_body(self._http.call("GET", _app_path(app_id)))

    def create(self, name: str, allowed_origins: Sequence[str] | None = None) -> CreatedApp:
        """A new app and its first API key (operator keys only); the key is shown only here."""
        body: dict[str, Any] = {"name": name}
        if allowed_origins is not None:
            body["allowed_origins"] = list(allowed_origins)
        return CreatedApp.from_body(self._http.call("POST", "/v1/apps", body))

    def update(
        self,
        app_id: str,
        *,
        name: str = UNSET,
        allowed_origins: Sequence[str] = UNSET,
        user_grants_need_user_token: bool = UNSET,
        enabled: bool = UNSET,
    ) -> App:
        """Changes only the fields given."""
        body = _given(
            name=name,
            allowed_origins=UNSET if allowed_origins is UNSET else list(allowed_origins),
            user_grants_need_user_token=user_grants_need_user_token,
            enabled=enabled,
        )
        return App.from_body(self._http.call("PATCH", _app_path(app_id), body))

    def disable(self, app_id: str) -> App:
        """Stops the app: its keys are refused until it is enabled again. Nothing is deleted."""
        return self.update(app_id, enabled=False)

    def enable(self, app_id: str) -> App:
        return self.update(app_id, enabled=True)

    def delete(self, app_id: str) -> None:
        """Deletes the app with its keys, providers, grants and their tokens. Cannot be undone."""
        self._http.call("DELETE", _app_path(app_id))


class ProvidersAdmin:
    """An app's providers (``VaultAdmin.providers``), each with its own OAuth client.

    A document is a providers-file entry (camelCase); the vault checks it whole and lists every
    problem (``VaultError`` ``invalid_request`` with ``issues``).
    """

    def __init__(self, http: VaultHttp) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ProvidersAdmin(base_url={self._http.base_url!r})"

    def list(self, app_id: str) -> list[AppProvider]:
        """The app's own providers, enabled or not (not the vault's built-in ones)."""
        body = self._http.call("GET", f"{_app_path(app_id)}/providers")
        return [AppProvider.from_body(item) for item in body["providers"]]

    def get(self, app_id: str, provider_id: str) -> AppProvider:
        return AppProvider.from_body(self._http.call("GET", _provider_path(app_id, provider_id)))

    def create(self, app_id: str, document: Mapping[str, Any]) -> AppProvider:
        """Adds a provider (``document["id"]`` names it); ``clientSecret`` is sealed, never
        shown again."""
        body = _document(document, "document")
        path = f"{_app_path(app_id)}/providers"
        return AppProvider.from_body(self._http.call("POST", path, body))

    def replace(self, app_id: str, provider_id: str, document: Mapping[str, Any]) -> AppProvider:
        """Replaces the whole document; without ``clientSecret`` the stored one is kept."""
        body = _document(document, "document")
        return AppProvider.from_body(
            self._http.call("PUT", _provider_path(app_id, provider_id), body)
        )

    def update(self, app_id: str, provider_id: str, changes: Mapping[str, Any]) -> AppProvider:
        """Changes only the document fields given (and ``enabled``)."""
        body = _document(changes, "changes")
        return AppProvider.from_body(
            self._http.call("PATCH", _provider_path(app_id, provider_id), body)
        )

    def disable(self, app_id: str, provider_id: str) -> AppProvider:
        """The app stops offering it (its grants cannot be used) until enabled again."""
        return self.update(app_id, provider_id, {"enabled": False})

    def enable(self, app_id: str, provider_id: str) -> AppProvider:
        return self.update(app_id, provider_id, {"enabled": True})

    def delete(self, app_id: str, provider_id: str) -> None:
        self._http.call("DELETE", _provider_path(app_id, provider_id))


class IdentityProviderAdmin:
    """The OIDC provider an app signs its users in with (``VaultAdmin.identity_provider``)."""

    def __init__(self, http: VaultHttp) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"IdentityProviderAdmin(base_url={self._http.base_url!r})"

    def get(self, app_id: str) -> IdentityProvider:
        return IdentityProvider.from_body(self._http.call("GET", self._path(app_id)))

    def set(self, app_id: str, document: Mapping[str, Any]) -> IdentityProvider:
        """Sets the whole document (``issuer``, ``clientId``, ``clientSecret``, ...); without
        ``clientSecret`` the stored one is kept."""
        body = _document(document, "document")
        return IdentityProvider.from_body(self._http.call("PUT", self._path(app_id), body))

    def update(self, app_id: str, changes: Mapping[str, Any]) -> IdentityProvider:
        """Changes only the fields given (and ``enabled``)."""
        body = _document(changes, "changes")
        return IdentityProvider.from_body(self._http.call("PATCH", self._path(app_id), body))

    def delete(self, app_id: str) -> None:
        self._http.call("DELETE", self._path(app_id))

    @staticmethod
    def _path(app_id: str) -> str:
        return f"{_app_path(app_id)}/identity-provider"


class ApiKeysAdmin:
    """An app's API keys (``VaultAdmin.api_keys``): mint, narrow, disable and revoke them."""

    def __init__(self, http: VaultHttp) -> None:
        self._http = http

    def __repr__(self) -> str:
        return f"ApiKeysAdmin(base_url={self._http.base_url!r})"

    def list(self, app_id: str) -> list[ApiKey]:
        body = self._http.call("GET", f"{_app_path(app_id)}/api-keys")
        return [ApiKey.from_body(item) for item in body["api_keys"]]

    def get(self, app_id: str, key_id: str) -> ApiKey:
        return ApiKey.from_body(self._http.call("GET", _api_key_path(app_id, key_id)))

    def create(
        self,
        app_id: str,
        *,
        name: str = UNSET,
        scopes: Sequence[str] = UNSET,
        expires_at: datetime | str | None = UNSET,
    ) -> CreatedApiKey:
        """A new key (default scopes: all but ``admin``; never more than the caller's own).
        The whole key is in the answer only (``api_key``)."""
        body = _given(
            name=name,
            scopes=UNSET if scopes is UNSET else list(scopes),
            expires_at=UNSET if expires_at is UNSET else _iso(expires_at),
        )
        return CreatedApiKey.from_body(
            self._http.call("POST", f"{_app_path(app_id)}/api-keys", body)
        )

    def update(
        self,
        app_id: str,
        key_id: str,
        *,
        name: str | None = UNSET,
        scopes: Sequence[str] = UNSET,
        expires_at: datetime | str | None = UNSET,
        enabled: bool = UNSET,
    ) -> ApiKey:
        """Changes only the fields given; ``None`` clears ``name`` or ``expires_at``."""
        body = _given(
            name=name,
            scopes=UNSET if scopes is UNSET else list(scopes),
            expires_at=UNSET if expires_at is UNSET else _iso(expires_at),
            enabled=enabled,
        )
        return ApiKey.from_body(self._http.call("PATCH", _api_key_path(app_id, key_id), body))

    def disable(self, app_id: str, key_id: str) -> ApiKey:
        """The key is refused until enabled again."""
        return self.update(app_id, key_id, enabled=False)

    def enable(self, app_id: str, key_id: str) -> ApiKey:
        return self.update(app_id, key_id, enabled=True)

    def delete(self, app_id: str, key_id: str) -> None:
        """Revokes the key for good, effective at once."""
        self._http.call("DELETE", _api_key_path(app_id, key_id))


class VaultAdmin:
    """The control plane of one Grantvault server: apps, providers, identity provider, API keys.

    Takes an operator key (``gv_op_...``, every app) or an app's key with the ``admin`` scope
    (that app only); finds key and URL the way ``Vault()`` does (arguments, then
    ``GRANTVAULT_API_KEY`` / ``GRANTVAULT_URL``, then a local vault's credentials file). Refusals
    raise the SDK's usual errors. Example::

        admin = VaultAdmin(api_key=os.environ["GRANTVAULT_OPERATOR_KEY"])
        created = admin.apps.create("billing")
        admin.providers.create(created.app.app_id, {"id": "github", "catalog": "github",
                                                    "clientId": "...", "clientSecret": "..."})
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        *,
        allow_insecure_http: bool | None = None,
    ) -> None:
        self._http = VaultHttp.configured(api_key, base_url, timeout, allow_insecure_http)
        self.apps = AppsAdmin(self._http)
        self.providers = ProvidersAdmin(self._http)
        self.identity_provider = IdentityProviderAdmin(self._http)
        self.api_keys = ApiKeysAdmin(self._http)

    @property
    def base_url(self) -> str:
        """The vault's URL, without a trailing slash."""
        return self._http.base_url

    def __repr__(self) -> str:
        return f"VaultAdmin(base_url={self.base_url!r})"
