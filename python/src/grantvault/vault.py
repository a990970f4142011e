"""``Vault``: the blocking client of one Grantvault server, acting for one app."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import audit, grants, identity, providers
from . import connect as _connect
from . import connect_session as _connect_session
from . import request as _request
from .arguments import passed_arguments
from .browser import OpenUrl
from .http import DEFAULT_BASE_URL as DEFAULT_BASE_URL  # still importable from here
from .http import VaultHttp
from .prepared_call import Body, ContextValue, QueryValue, prepare
from .request import UserTokenGetter
from .response import Response
from .types import (
    AppInfo,
    AuditPage,
    AuthResult,
    ConnectResult,
    ConnectSession,
    Grant,
    GrantPage,
    GrantPolicy,
    OfferedProvider,
)


class Vault:
    """A client of one Grantvault server, acting for the app of its API key.

    Args:
        api_key: The app's API key; defaults to the ``GRANTVAULT_API_KEY`` environment variable,
            else a local vault's ``.grantvault/credentials.json`` found by walking up from the
            working directory.
        base_url: The vault's URL; defaults to ``GRANTVAULT_URL``, else that file's URL, else
            ``http://127.0.0.1:7400``.
        timeout: Seconds to wait for each answer (of the vault, and of providers in retrieve mode).
        user_token_getter: Returns the signed-in user's token, or ``None`` when no user is
            signed in (called per call, so it can read a ``contextvars`` variable set for the
            current web request). Sent with every grant call that passes no ``user_token``, by
            grant id too, so a grant bound to a user is used only for that user; a call that
            names a ``provider`` finds that user's grant.
        allow_insecure_http: Allow a plain-http ``base_url`` to a host other than loopback (the
            API key then travels in cleartext); default: refused unless
            ``GRANTVAULT_ALLOW_INSECURE_HTTP=1``.
        public_url: The vault's public URL when it differs from ``base_url`` (behind a proxy):
            connect and sign-in links on its origin are opened too; links on any other origin
            are refused.

    A ``Vault`` may be shared between threads. Neither its ``repr()`` nor any error shows the
    API key, and no provider token ever reaches your code. Example::

        vault = Vault()  # GRANTVAULT_API_KEY and GRANTVAULT_URL, else the local vault's
        [github] = vault.connect(providers=["github"])
        response = vault.request("GET", "https://api.github.com/user", grant_id=github.grant_id)
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        *,
        user_token_getter: UserTokenGetter | None = None,
        allow_insecure_http: bool | None = None,
        public_url: str | None = None,
    ) -> None:
        self._http = VaultHttp.configured(
            api_key, base_url, timeout, allow_insecure_http, public_url
        )
        _request.check_user_token_getter(user_token_getter)
        self._user_token_getter = user_token_getter

    @property
    def base_url(self) -> str:
        """The vault's URL, without a trailing slash."""
        return self._http.base_url

    @property
    def timeout(self) -> float:
        """Seconds to wait for each answer."""
        return self._http.timeout

    def __repr__(self) -> str:
        return f"Vault(base_url={self.base_url!r})"

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (each call uses its own connection); for ``with Vault() as v:``."""

    def get_app(self) -> AppInfo:
        """Which app this client's API key belongs to; a cheap way to check the key works."""
        return AppInfo.from_body(self._http.call("GET", "/v1/app"))

    def list_providers(self) -> list[OfferedProvider]:
        """The providers this app may offer its users (its own enabled ones, then the vault's
        built-in ones): id, display name, kind, scopes, and the per-connection parameters (a
        tenant, a shop) a connection needs. For building your own provider picker."""
        return providers.list_providers(self._http)

    def connect(
        self,
        providers: Sequence[str] | str | None = None,
        grant_policy: GrantPolicy | Mapping[str, int] | None = None,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        open_browser: bool = True,
        *,
        open_url: OpenUrl | None = None,
        connection_params: Mapping[str, Mapping[str, str]] | None = None,
    ) -> list[ConnectResult]:
        """Headless OAuth: connects an account and returns its grant, usable at once.

        Creates a connect session, prints its link and confirmation code (standard error), shows
        a clickable link in a Jupyter notebook, and opens the default browser when one can be
        reached (not over SSH, in CI, or on Linux without a display, unless ``BROWSER`` is set).
        Then it waits (long-poll) until the user has finished.

        Args:
            providers: Provider ids the user may pick from; all the vault offers when omitted.
            grant_policy: Limits on the grant (``max_ttl_seconds``, ``default_ttl_seconds``).
            timeout: Seconds to wait for the user (default 5 minutes).
            poll_interval: Seconds between checks when the vault cannot hold a request open.
            open_browser: ``False`` only prints the link (and shows it in a notebook).
            open_url: Your own way to show the link instead of the browser (e.g. a chat message).
            connection_params: Per provider, its per-connection parameters (a tenant, a shop:
                ``{"corp": {"tenant": "acme"}}``); those not given are asked on the Connect page.

        Raises:
            ConnectDeniedError: The user declined (at the provider or on the Connect page).
            ConnectConfigError: The provider rejected the vault's OAuth client.
            ConnectTimeoutError: The user did not finish in time, or the session expired.
            VaultValueError: A bad argument, before any network call.
            KeyboardInterrupt: Ctrl-C, after a one-line message.
        """
        http = self._http
        session = _connect.start_connect(
            http, providers, grant_policy, timeout, poll_interval, connection_params
        )
        return _connect.results_of(_connect.show_and_wait(http, session, open_browser, open_url))

    def request(
        self,
        method: str,
        url: str,
        *,
        grant_id: str | None = None,
        provider: str | None = None,
        account: str | None = None,
        user_token: str | None = None,
        json: Any = None,
        body: Body | None = None,
        extra_headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, QueryValue] | None = None,
        path_params: Mapping[str, str | int] | None = None,
        reason: str | None = None,
        context: Mapping[str, ContextValue] | None = None,
    ) -> Response:
        """Calls a provider's API as the grant's account (retrieve mode).

        The vault checks that the URL is an API host of the grant's provider, the grant's status
        and expiry, refreshes the token when it is near expiry, records the access, and hands
        this SDK the credential for this one call; the SDK injects it and makes the call. You
        get the provider's answer; the token is never exposed. Redirects are returned, not
        followed. ``{name}`` placeholders in ``url`` are filled from ``path_params``, URL-encoded.

        Args:
            method: ``GET``, ``POST``, ``PUT``, ``PATCH``, ``DELETE``, ``HEAD`` or ``OPTIONS``.
            url: The provider API URL, possibly with ``{placeholders}``.
            grant_id: The grant whose account the call acts for (from ``connect()``).
            provider: Instead of ``grant_id``: the signed-in user's grant at this provider.
            account: With ``provider``: which account, when the user connected several.
            user_token: The signed-in user (from ``authenticate()``); the grant must be theirs.
                With ``provider`` and no ``user_token``, the ``user_token_getter`` is asked.
            json: A JSON body (sets ``content-type: application/json``); ``None`` sends none.
            body: A raw body: bytes, str, or a dict sent as a form; not together with ``json``.
            extra_headers: More headers; ``Authorization`` and ``Cookie`` are refused.
            query_params: Appended to the query string; ``None`` values are left out.
            path_params: Values for the ``{placeholders}``.
            reason: Why the call is made (recorded in the audit log).
            context: Free-form facts about the caller (recorded in the audit log).

        Raises:
            HostNotAllowedError, GrantNotFoundError (also: not this user's grant),
            GrantExpiredError, GrantRevokedError, CredentialRevokedError,
            TokenRefreshUnavailableError, AmbiguousGrantError (pass ``account``),
            InvalidUserTokenError, NetworkError, VaultValueError.
        """
        return self._call(_request.retrieve, passed_arguments(locals()))

    def proxy_request(
        self,
        method: str,
        url: str,
        *,
        grant_id: str | None = None,
        provider: str | None = None,
        account: str | None = None,
        user_token: str | None = None,
        json: Any = None,
        body: Body | None = None,
        extra_headers: Mapping[str, str] | None = None,
        query_params: Mapping[str, QueryValue] | None = None,
        path_params: Mapping[str, str | int] | None = None,
        reason: str | None = None,
        context: Mapping[str, ContextValue] | None = None,
    ) -> Response:
        """Like ``request()``, but the vault makes the call (proxy mode).

        The token never leaves the vault. Returns the provider's answer (status, headers, body);
        the vault's own refusals raise the same errors as ``request()``.
        """
        return self._call(_request.proxy, passed_arguments(locals()))

    def _call(self, mode: _request.Mode, arguments: dict[str, Any]) -> Response:
        """A ``request()`` or ``proxy_request()``: checked, its grant found, then made by ``mode``
        (``request.retrieve`` or ``request.proxy``)."""
        call = prepare(**arguments)
        call = _request.resolve(self._http, call, self._user_token_getter)
        return mode(self._http, call, self._http.timeout)

    def list_grants(
        self,
        *,
        provider_id: str | None = None,
        status: str | None = None,
        account_identifier: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> GrantPage:
        """The app's grants, newest first, one page at a time (``limit`` 1-100, default 50)."""
        return grants.list_grants(self._http, passed_arguments(locals()))

    def get_grant(self, grant_id: str) -> Grant:
        """One grant; ``GrantNotFoundError`` when it does not exist for this app."""
        return grants.get_grant(self._http, grant_id)

    def revoke_grant(self, grant_id: str, reason: str | None = None) -> Grant:
        """Revokes a grant: the vault deletes its tokens and revokes them at the provider where
        it can. The reason is recorded. Returns the revoked grant."""
        return grants.revoke_grant(self._http, grant_id, reason)

    def list_audit_events(
        self,
        *,
        type: str | None = None,
        grant_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """The app's audit log, newest first, one page at a time (``limit`` 1-200)."""
        return audit.list_audit_events(self._http, passed_arguments(locals()))

    def authenticate(
        self,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        open_browser: bool = True,
        *,
        open_url: OpenUrl | None = None,
    ) -> AuthResult:
        """Signs the user in at the app's identity provider, headlessly like ``connect()``.

        Prints the sign-in link and a confirmation code (standard error), shows a clickable link
        in a Jupyter notebook, opens the browser when one can be reached, and waits (long-poll)
        until the user has signed in. Pass the returned ``user_token`` to
        ``create_connect_session()`` so the grant is the user's, and to ``request()`` with
        ``provider=`` to use it. Example::

            me = vault.authenticate()
            print(me.user_info["email"])

        Args:
            timeout: Seconds to wait for the user (default 5 minutes).
            poll_interval: Seconds between checks when the vault cannot hold a request open.
            open_browser: ``False`` only prints the link (and shows it in a notebook).
            open_url: Your own way to show the link instead of the browser.

        Raises:
            ConnectDeniedError: The user declined at the identity provider.
            ConnectTimeoutError: The user did not finish in time, or the session expired.
            ConnectFlowError: The sign-in failed otherwise (``code`` says how).
            VaultError: ``identity_not_configured`` when the app has no identity provider.
            KeyboardInterrupt: Ctrl-C, after a one-line message.
        """
        session = identity.start_sign_in(self._http, timeout, poll_interval)
        return identity.auth_result_of(
            _connect.show_and_wait(self._http, session, open_browser, open_url)
        )

    def verify_user_token(self, token: str) -> str | None:
        """The user's subject when ``token`` is a valid user token for this app, else ``None``.

        The vault checks the signature against the identity provider's published keys, the
        issuer, the audience (the app's) and the expiry.
        """
        return identity.verify_user_token(self._http, token)

    def create_connect_session(
        self,
        allowed_providers: Sequence[str] | str | None = None,
        return_url: str | None = None,
        allowed_origin: str | None = None,
        grant_policy: GrantPolicy | Mapping[str, int] | None = None,
        required_scopes: Mapping[str, Sequence[str]] | None = None,
        metadata: Mapping[str, str] | None = None,
        user_token: str | None = None,
        connection_params: Mapping[str, Mapping[str, str]] | None = None,
    ) -> ConnectSession:
        """A connect session for a web app's own flow (no waiting here).

        Give ``session_token`` to the Connect.js widget (popup), or send the browser to
        ``connect_url`` (redirect; it comes back to ``return_url``). Example::

            session = vault.create_connect_session(
                allowed_providers=["github"], allowed_origin="https://app.example.com",
                user_token=me.user_token,
            )

        Args:
            allowed_providers: Provider ids the user may pick from; all when omitted.
            return_url: Where the browser returns after a redirect-mode flow.
            allowed_origin: The origin of the page that opens the Connect.js popup.
            grant_policy: Limits on the grant (``max_ttl_seconds``, ``default_ttl_seconds``).
            required_scopes: Per provider, the scopes to ask for (within what is configured).
            metadata: Your own labels, kept with the session and in the audit log.
            user_token: The signed-in user (from ``authenticate()``): the grant will be theirs.
            connection_params: Per provider, its per-connection parameters
                (``{"corp": {"tenant": "acme"}}``); those not given are asked on the Connect page.

        Raises:
            PolicyViolationError: An origin the operator did not allow for the app
                (``origin_not_allowed``), or scopes beyond the configured ones
                (``scope_not_allowed``).
            InvalidUserTokenError: ``user_token`` is not valid for this app.
            VaultValueError: A bad argument, before any network call.
        """
        return _connect_session.create_connect_session(self._http, passed_arguments(locals()))
