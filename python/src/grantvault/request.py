"""Calling a provider's API with a grant: retrieve mode (``request()``) and proxy mode.

Retrieve mode asks the vault for the credential headers of one call (after its checks: API host,
grant status and expiry, refresh, audit row), then makes the call itself. The credential lives
only in local variables of ``retrieve()`` while the call is made: it is never stored on an
object, never returned, and never in an error.

A call names its grant by id, or by ``provider`` and a signed-in user (``user_token``, from
``authenticate()``): ``resolve()`` then asks the vault which of that user's grants to use
(``POST /v1/grants/resolve``). With a user token, the vault also checks that the grant is the
user's (``user_token`` in the credential request; the ``grantvault-user-token`` header in proxy
mode).
"""

from __future__ import annotations

import inspect
import json as _json
import urllib.parse
from collections.abc import Callable
from dataclasses import replace
from http.client import HTTPException
from typing import Any

from .errors import NetworkError, VaultValueError, error_from_response
from .http import USER_AGENT, VaultHttp, check_netloc, exchange
from .identity import check_user_token
from .prepared_call import PreparedCall
from .response import Headers, Response, RetryInfo

UserTokenGetter = Callable[[], str | None]
"""Returns the signed-in user's token for the current call (e.g. from a ``contextvars``
variable), or ``None`` when no user is signed in."""

_PROXY = {
    "method": "grantvault-method",
    "url": "grantvault-url",
    "reason": "grantvault-reason",
    "context": "grantvault-context",
    "forward_prefix": "grantvault-forward-",
    "proxied": "grantvault-proxied",
    "retry_info": "grantvault-retry-info",
    "user_token": "grantvault-user-token",
}


def check_user_token_getter(getter: object) -> None:
    """``user_token_getter`` must be callable (``Vault`` and ``AsyncVault`` check it at once)."""
    if getter is not None and not callable(getter):
        raise VaultValueError(
            "invalid_argument", "user_token_getter must be a function returning a user token"
        )


def resolve(
    http: VaultHttp, call: PreparedCall, user_token_getter: UserTokenGetter | None
) -> PreparedCall:
    """The call with its grant id and its user: a call that names a grant id gets the getter's
    user token when it has none (F6: a grant bound to a user is usable only with that user's
    token); a call by ``provider`` gets the grant that the signed-in user holds (``user_token``,
    or what ``user_token_getter`` returns)."""
    token = call.user_token
    if token is None and user_token_getter is not None:
        token = user_token_getter()
        if inspect.isawaitable(token):
            close = getattr(token, "close", None)
            if callable(close):
                close()  # never awaited: no "coroutine was never awaited" warning
            raise VaultValueError(
                "invalid_argument",
                "user_token_getter returned an awaitable; Vault needs a plain function "
                "(AsyncVault takes coroutine functions)",
            )
    if call.grant_id is not None:
        return call if token is None else replace(call, user_token=check_user_token(token))
    if token is None:
        raise VaultValueError(
            "invalid_argument",
            "provider needs a signed-in user: pass user_token= (from authenticate()) or "
            "create the Vault with user_token_getter=",
        )
    token = check_user_token(token)
    ask: dict[str, Any] = {"provider": call.provider, "user_token": token}
    if call.account is not None:
        ask["account"] = call.account
    grant_id = http.call("POST", "/v1/grants/resolve", ask)["grant_id"]
    return replace(call, grant_id=grant_id, user_token=token)


def _grant_of(call: PreparedCall) -> str:
    if call.grant_id is None:
        raise VaultValueError("invalid_argument", "the call's grant is not resolved")
    return call.grant_id


Mode = Callable[[VaultHttp, PreparedCall, float], Response]
"""How a prepared call is made: ``retrieve()`` (here, with the credential) or ``proxy()``."""


def retrieve(http: VaultHttp, call: PreparedCall, timeout: float) -> Response:
    """Retrieve mode: the credential for this one call, then the call, made here."""
    ask: dict[str, Any] = {"method": call.method, "url": call.url}
    if call.reason is not None:
        ask["reason"] = call.reason
    if call.context is not None:
        ask["context"] = call.context
    if call.user_token is not None:
        ask["user_token"] = call.user_token
    granted = http.call("POST", f"/v1/grants/{_grant_of(call)}/credential", ask)
    # Exactly the URL the vault approved, in its own (WHATWG) reading; urllib's reading of the
    # caller's URL could name another host (F9). A vault from before it said so approved call.url.
    url = granted.get("url") or call.url
    check_netloc(url)
    retry_info = RetryInfo.from_body(granted.get("retry_info"))
    headers = {"user-agent": USER_AGENT, **call.headers}
    for name, value in granted["headers"].items():
        headers[name.lower()] = value
    del granted
    failure: str | None = None
    try:
        raw = exchange(call.method, url, headers, call.body, timeout)
    except (OSError, HTTPException) as error:
        failure = type(error).__name__
    # The credential goes out of scope here; an error is raised outside the except block so it
    # carries no traceback into frames that held it.
    del headers
    if failure is not None:
        host = urllib.parse.urlsplit(url).netloc
        raise NetworkError(
            "network_error", f"cannot reach {host} ({failure})", details={"host": host}
        )
    return Response(raw.status, raw.reason, Headers(raw.headers), raw.content, url, retry_info)


def proxy(http: VaultHttp, call: PreparedCall, timeout: float) -> Response:
    """Proxy mode: the vault makes the call; the token never reaches this process."""
    headers = {_PROXY["method"]: call.method, _PROXY["url"]: call.url}
    if call.reason is not None:
        if not call.reason.isascii() or any(c in call.reason for c in "\r\n\0"):
            raise VaultValueError(
                "invalid_argument", "in proxy mode, reason must be one line of ASCII text"
            )
        headers[_PROXY["reason"]] = call.reason
    if call.context is not None:
        headers[_PROXY["context"]] = _json.dumps(call.context, separators=(",", ":"))
    if call.user_token is not None:
        headers[_PROXY["user_token"]] = call.user_token
    # The provider sees this SDK's User-Agent, as in retrieve mode (some APIs require one).
    for name, value in {"user-agent": USER_AGENT, **call.headers}.items():
        headers[f"{_PROXY['forward_prefix']}{name}"] = value
    if call.body is not None:
        headers["content-type"] = "application/octet-stream"
    raw = http.send(
        "POST", f"/v1/grants/{_grant_of(call)}/proxy", headers, call.body, timeout=timeout
    )
    if raw.header(_PROXY["proxied"]) == "1":
        retry_header = raw.header(_PROXY["retry_info"])
        retry_info = RetryInfo.from_body(_json.loads(retry_header)) if retry_header else None
        answer = Headers(raw.headers)
        return Response(raw.status, raw.reason, answer, raw.content, call.url, retry_info)
    try:
        parsed = _json.loads(raw.content) if raw.content else None
    except ValueError:
        parsed = None
    raise error_from_response(raw.status, parsed)
