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

import json as _json
import re
import inspect
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.client import HTTPException
from typing import Any

from .errors import NetworkError, VaultValueError, error_from_response
from .connect import is_provider_id
from .http import USER_AGENT, VaultHttp, exchange
from .identity import check_user_token
from .response import Headers, Response

Scalar = str | int | float | bool
QueryValue = Scalar | None | Sequence[Scalar]
"""A query parameter: a value, a list of values (repeated), or ``None`` (left out)."""
Body = bytes | bytearray | memoryview | str | Mapping[str, str]
"""A raw body: bytes, text (UTF-8) or a form (``application/x-www-form-urlencoded``)."""
ContextValue = str | int | float | bool | None
UserTokenGetter = Callable[[], str | None]
"""Returns the signed-in user's token for the current call (e.g. from a ``contextvars``
variable), or ``None`` when no user is signed in."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
GRANT_ID = re.compile(r"^grant_[0-9a-f]{24}$")
REFUSED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_PROXY = {
    "method": "grantvault-method",
    "url": "grantvault-url",
    "reason": "grantvault-reason",
    "context": "grantvault-context",
    "forward_prefix": "grantvault-forward-",
    "proxied": "grantvault-proxied",
    "user_token": "grantvault-user-token",
}
_NO_JSON: Any = object()


@dataclass(frozen=True)
class PreparedCall:
    """A checked call: what goes to the provider (without any credential).

    ``grant_id`` is ``None`` until ``resolve()`` has found the grant of ``provider`` for the
    user. The user token is left out of ``repr()``.
    """

    grant_id: str | None
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    reason: str | None
    context: dict[str, ContextValue] | None
    provider: str | None = None
    account: str | None = None
    user_token: str | None = field(default=None, repr=False)


def prepare(
    method: str,
    url: str,
    *,
    grant_id: str | None,
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
) -> PreparedCall:
    """Validates the call and builds its URL, headers and body, before any network call."""
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise VaultValueError("invalid_argument", f"unsupported method {method!r}")
    _check_grant_choice(grant_id, provider, account)
    if user_token is not None:
        check_user_token(user_token)
    has_json = json is not None
    if has_json and body is not None:
        raise VaultValueError("invalid_argument", "pass json or body, not both")
    headers: dict[str, str] = {}
    for name, value in (extra_headers or {}).items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise VaultValueError("invalid_argument", f"not a header name: {name!r}")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise VaultValueError("invalid_argument", f"the {name} header's value is not valid")
        if name.lower() in REFUSED_HEADERS:
            raise VaultValueError(
                "invalid_argument", f"the {name} header is set by the vault, not by the caller"
            )
        headers[name.lower()] = value
    payload = _encode_body(json if has_json else _NO_JSON, body, headers)
    if payload is not None and verb in ("GET", "HEAD"):
        raise VaultValueError("invalid_argument", f"a {verb} request cannot have a body")
    if reason is not None and not isinstance(reason, str):
        raise VaultValueError("invalid_argument", "reason must be a string")
    checked_context: dict[str, ContextValue] | None = None
    if context is not None:
        if not isinstance(context, Mapping):
            raise VaultValueError("invalid_argument", "context must be a dict")
        checked_context = {}
        for key, item in context.items():
            if not isinstance(key, str) or not isinstance(
                item, (str, int, float, bool, type(None))
            ):
                raise VaultValueError(
                    "invalid_argument", f"context[{key!r}] must be a string, number, bool or None"
                )
            checked_context[key] = item
    return PreparedCall(
        grant_id=grant_id,
        method=verb,
        url=build_url(url, path_params, query_params),
        headers=headers,
        body=payload,
        reason=reason,
        context=checked_context,
        provider=provider,
        account=account,
        user_token=user_token,
    )


def _check_grant_choice(grant_id: object, provider: object, account: object) -> None:
    """The call names its grant by id, or by provider (and account) for a signed-in user."""
    if grant_id is not None:
        if not isinstance(grant_id, str) or not GRANT_ID.match(grant_id):
            raise VaultValueError(
                "invalid_argument", f"not a grant id (`grant_` and 24 hex digits): {grant_id!r}"
            )
        if provider is not None or account is not None:
            raise VaultValueError(
                "invalid_argument", "pass grant_id, or provider (and account), not both"
            )
        return
    if provider is None:
        raise VaultValueError(
            "invalid_argument",
            "grant_id is required (a `grant_...` id from connect()), or provider with a user token",
        )
    if not is_provider_id(provider):
        raise VaultValueError("invalid_argument", f"not a provider id: {provider!r}")
    if account is not None and (
        not isinstance(account, str) or not account or len(account) > 320
    ):
        raise VaultValueError(
            "invalid_argument", "account must be a non-empty string (an account identifier)"
        )


def resolve(
    http: VaultHttp, call: PreparedCall, user_token_getter: UserTokenGetter | None
) -> PreparedCall:
    """The call with its grant id: unchanged when it names one, else the grant of ``provider``
    that the signed-in user holds (``user_token``, or what ``user_token_getter`` returns)."""
    if call.grant_id is not None:
        return call
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


def _encode_body(json: Any, body: Body | None, headers: dict[str, str]) -> bytes | None:
    if json is not _NO_JSON:
        headers["content-type"] = "application/json"
        try:
            return _json.dumps(json, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError) as error:
            raise VaultValueError(
                "invalid_argument", f"json is not serializable: {error}"
            ) from None
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if isinstance(body, str):
        headers.setdefault("content-type", "text/plain;charset=UTF-8")
        return body.encode("utf-8")
    if isinstance(body, Mapping):
        headers.setdefault("content-type", "application/x-www-form-urlencoded;charset=UTF-8")
        return urllib.parse.urlencode(list(body.items())).encode("ascii")
    raise VaultValueError("invalid_argument", "body must be bytes, str or a dict (a form)")


def build_url(
    url: str,
    path_params: Mapping[str, str | int] | None = None,
    query_params: Mapping[str, QueryValue] | None = None,
) -> str:
    """Fills ``{placeholders}`` (URL-encoded, like ``encodeURIComponent``) and appends query
    parameters (``True`` as ``true``; ``None`` left out; lists repeated)."""
    if not isinstance(url, str):
        raise VaultValueError("invalid_argument", "url must be a string")
    params = path_params or {}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise VaultValueError("invalid_argument", f"path_params[{name!r}] is missing")
        return urllib.parse.quote(_text(params[name]), safe="!~*'()")

    filled = _PLACEHOLDER.sub(fill, url)
    parts = urllib.parse.urlsplit(filled)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise VaultValueError("invalid_argument", f"not an absolute http(s) URL: {filled}")
    pairs: list[tuple[str, str]] = []
    for name, value in (query_params or {}).items():
        if value is None:
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((name, _text(item)) for item in items)
    query = parts.query
    if pairs:
        extra = urllib.parse.urlencode(pairs)
        query = f"{query}&{extra}" if query else extra
    path = parts.path or "/"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _grant_of(call: PreparedCall) -> str:
    if call.grant_id is None:
        raise VaultValueError("invalid_argument", "the call's grant is not resolved")
    return call.grant_id


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
    headers = {"user-agent": USER_AGENT, **call.headers}
    for name, value in granted["headers"].items():
        headers[name.lower()] = value
    del granted
    failure: str | None = None
    try:
        raw = exchange(call.method, call.url, headers, call.body, timeout)
    except (OSError, HTTPException) as error:
        failure = type(error).__name__
    # The credential goes out of scope here; an error is raised outside the except block so it
    # carries no traceback into frames that held it.
    del headers
    if failure is not None:
        host = urllib.parse.urlsplit(call.url).netloc
        raise NetworkError(
            "network_error", f"cannot reach {host} ({failure})", details={"host": host}
        )
    return Response(raw.status, raw.reason, Headers(raw.headers), raw.content, call.url)


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
        return Response(raw.status, raw.reason, Headers(raw.headers), raw.content, call.url)
    try:
        parsed = _json.loads(raw.content) if raw.content else None
    except ValueError:
        parsed = None
    raise error_from_response(raw.status, parsed)
