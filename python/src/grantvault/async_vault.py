"""``AsyncVault``: the same client as ``Vault``, with coroutines, for asyncio programs.

Each call runs the blocking client in a worker thread (``asyncio.to_thread``). ``connect()`` and
``authenticate()`` are cancellable: cancelling them stops the waiting at once (the long-poll's
socket is shut down) and no further request is made.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from . import connect as _connect
from . import identity as _identity
from . import request as _request
from .arguments import passed_arguments
from .browser import open_link, say, say_open_url_failed, waiting_line
from .errors import VaultValueError
from .http import Cancellation
from .prepared_call import Body, ContextValue, QueryValue
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
from .vault import Vault

T = TypeVar("T")

AsyncOpenUrl = Callable[[str], object]
"""Shows the link: a plain function or a coroutine function."""
AsyncUserTokenGetter = Callable[[], str | Awaitable[str | None] | None]
"""Returns the signed-in user's token: a plain function or a coroutine function."""


class AsyncVault:
    """An asyncio client of one Grantvault server, acting for the app of its API key.

    Same arguments and methods as ``Vault``, as coroutines; ``open_url`` and
    ``user_token_getter`` may also be coroutine functions (the getter is called in the calling
    task, so it sees that task's ``contextvars``). Example::

        async with AsyncVault() as vault:
            [grant] = await vault.connect(providers=["github"])
            response = await vault.request("GET", "https://api.github.com/user",
                                           grant_id=grant.grant_id)
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        *,
        user_token_getter: AsyncUserTokenGetter | None = None,
        allow_insecure_http: bool | None = None,
        public_url: str | None = None,
    ) -> None:
        _request.check_user_token_getter(user_token_getter)
        self._vault = Vault(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout,
            allow_insecure_http=allow_insecure_http,
            public_url=public_url,
        )
        self._user_token_getter = user_token_getter

    @property
    def base_url(self) -> str:
        """The vault's URL, without a trailing slash."""
        return self._vault.base_url

    @property
    def timeout(self) -> float:
        """Seconds to wait for each answer."""
        return self._vault.timeout

    def __repr__(self) -> str:
        return f"AsyncVault(base_url={self.base_url!r})"

    async def __aenter__(self) -> AsyncVault:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Nothing to release (each call uses its own connection); for ``async with``."""

    async def _run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function`` in a worker thread: the blocking client, without blocking the loop."""
        return await asyncio.to_thread(function, *args, **kwargs)

    async def get_app(self) -> AppInfo:
        """Async version of :meth:`Vault.get_app`."""
        return await self._run(self._vault.get_app)

    async def list_providers(self) -> list[OfferedProvider]:
        """Async version of :meth:`Vault.list_providers`."""
        return await self._run(self._vault.list_providers)

    async def connect(
        self,
        providers: Sequence[str] | str | None = None,
        grant_policy: GrantPolicy | Mapping[str, int] | None = None,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        open_browser: bool = True,
        *,
        open_url: AsyncOpenUrl | None = None,
        connection_params: Mapping[str, Mapping[str, str]] | None = None,
    ) -> list[ConnectResult]:
        """Async version of :meth:`Vault.connect`; ``open_url`` may also be a coroutine function.

        Cancelling the task stops waiting at once.
        """
        http = self._vault._http
        session = await self._run(
            _connect.start_connect,
            http,
            providers,
            grant_policy,
            timeout,
            poll_interval,
            connection_params,
        )
        return _connect.results_of(await self._show_and_wait(session, open_browser, open_url))

    async def authenticate(
        self,
        timeout: float = 300.0,
        poll_interval: float = 2.0,
        open_browser: bool = True,
        *,
        open_url: AsyncOpenUrl | None = None,
    ) -> AuthResult:
        """Async version of :meth:`Vault.authenticate`; ``open_url`` may also be a coroutine
        function. Cancelling the task stops waiting at once."""
        session = await self._run(
            _identity.start_sign_in, self._vault._http, timeout, poll_interval
        )
        return _identity.auth_result_of(await self._show_and_wait(session, open_browser, open_url))

    async def _show_and_wait(
        self, session: _connect.BrowserSession, open_browser: bool, open_url: AsyncOpenUrl | None
    ) -> dict[str, Any]:
        """``connect.show_and_wait()`` for asyncio: ``open_url`` may be awaited, and
        cancelling stops the long-poll at once."""
        _connect.announce(session)
        if open_url is None:
            opened = await self._run(open_link, session.url, open_browser, None)
        else:
            opened = await self._open_with(open_url, session.url)
        say(waiting_line(opened))
        cancellation = Cancellation()
        try:
            return await self._run(
                _connect.wait_for_session, self._vault._http, session, cancellation
            )
        except asyncio.CancelledError:
            cancellation.cancel()
            raise

    @staticmethod
    async def _open_with(open_url: AsyncOpenUrl, url: str) -> bool:
        """``browser.open_link()`` with the caller's ``open_url``, awaited when it is a coroutine
        function; whether it worked."""
        try:
            shown = open_url(url)
            if inspect.isawaitable(shown):
                await shown
            return True
        except Exception as error:  # noqa: BLE001 - the link is printed already
            say_open_url_failed(error)
            return False

    async def verify_user_token(self, token: str) -> str | None:
        """Async version of :meth:`Vault.verify_user_token`."""
        return await self._run(self._vault.verify_user_token, token)

    async def create_connect_session(
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
        """Async version of :meth:`Vault.create_connect_session`."""
        return await self._run(self._vault.create_connect_session, **passed_arguments(locals()))

    async def _call(self, send: Callable[..., Response], arguments: dict[str, Any]) -> Response:
        """``Vault.request()`` or ``proxy_request()`` in a worker thread, with the user token of a
        call by provider asked of ``user_token_getter`` here: in the calling task, so the getter
        sees that task's ``contextvars``, and awaited when it is a coroutine function."""
        arguments["user_token"] = await self._user_token_for(arguments)
        return await self._run(send, **arguments)

    async def _user_token_for(self, arguments: Mapping[str, Any]) -> str | None:
        """The user token to send: the one given, else the getter's (for a call by provider, and
        for a call by grant id too: F6, a grant bound to a user needs its user's token)."""
        user_token: str | None = arguments["user_token"]
        if user_token is not None or self._user_token_getter is None:
            return user_token
        if arguments["grant_id"] is None and arguments["provider"] is None:
            return None
        token = self._user_token_getter()
        if inspect.isawaitable(token):
            token = await token
        if token is not None and not isinstance(token, str):
            raise VaultValueError(
                "invalid_argument", "user_token_getter must return a user token (a string)"
            )
        return token

    async def request(
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
        """Async version of :meth:`Vault.request` (retrieve mode)."""
        return await self._call(self._vault.request, passed_arguments(locals()))

    async def proxy_request(
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
        """Async version of :meth:`Vault.proxy_request` (proxy mode)."""
        return await self._call(self._vault.proxy_request, passed_arguments(locals()))

    async def list_grants(
        self,
        *,
        provider_id: str | None = None,
        status: str | None = None,
        account_identifier: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> GrantPage:
        """Async version of :meth:`Vault.list_grants`."""
        return await self._run(self._vault.list_grants, **passed_arguments(locals()))

    async def get_grant(self, grant_id: str) -> Grant:
        """Async version of :meth:`Vault.get_grant`."""
        return await self._run(self._vault.get_grant, grant_id)

    async def revoke_grant(self, grant_id: str, reason: str | None = None) -> Grant:
        """Async version of :meth:`Vault.revoke_grant`."""
        return await self._run(self._vault.revoke_grant, grant_id, reason)

    async def list_audit_events(
        self,
        *,
        type: str | None = None,
        grant_id: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> AuditPage:
        """Async version of :meth:`Vault.list_audit_events`."""
        return await self._run(self._vault.list_audit_events, **passed_arguments(locals()))
