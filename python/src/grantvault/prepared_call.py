"""A provider API call, checked and built before any network call (``prepare()``).

``Vault.request()`` and ``proxy_request()`` (and ``AsyncVault``'s) spell out the typed keyword
arguments; this module checks them, at run time, in one place: callers may pass anything.
"""

from __future__ import annotations

import json as _json
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .connect import is_provider_id
from .errors import VaultValueError
from .grants import GRANT_ID
from .identity import check_user_token

Scalar = str | int | float | bool
QueryValue = Scalar | None | Sequence[Scalar]
"""A query parameter: a value, a list of values (repeated), or ``None`` (left out)."""
Body = bytes | bytearray | memoryview | str | Mapping[str, str]
"""A raw body: bytes, text (UTF-8) or a form (``application/x-www-form-urlencoded``)."""
ContextValue = str | int | float | bool | None

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REFUSED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
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


REQUEST_OPTIONS = frozenset(
    "grant_id provider account user_token json body extra_headers query_params path_params "
    "reason context".split()
)
"""The keyword arguments of ``Vault.request()`` and ``proxy_request()``; ``prepare()`` checks
them."""


def prepare(method: str, url: str, **options: Any) -> PreparedCall:
    """Checks a call and builds its URL, headers and body, before any network call.

    ``options`` are the keyword arguments of ``Vault.request()``, where their types are spelled
    out (an omitted one is ``None``). This is the one place they are checked: callers of the SDK
    may pass anything, so each is checked here at run time.
    """
    unknown = options.keys() - REQUEST_OPTIONS
    if unknown:
        raise TypeError(f"unexpected keyword arguments: {', '.join(sorted(unknown))}")
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise VaultValueError("invalid_argument", f"unsupported method {method!r}")
    grant_id = options.get("grant_id")
    provider = options.get("provider")
    account = options.get("account")
    _check_grant_choice(grant_id, provider, account)
    user_token = options.get("user_token")
    if user_token is not None:
        check_user_token(user_token)
    json, body = options.get("json"), options.get("body")
    if json is not None and body is not None:
        raise VaultValueError("invalid_argument", "pass json or body, not both")
    headers = _checked_headers(options.get("extra_headers"))
    payload = _encode_body(_NO_JSON if json is None else json, body, headers)
    if payload is not None and verb in ("GET", "HEAD"):
        raise VaultValueError("invalid_argument", f"a {verb} request cannot have a body")
    reason = options.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise VaultValueError("invalid_argument", "reason must be a string")
    context = _checked_context(options.get("context"))
    return PreparedCall(
        grant_id=grant_id,
        method=verb,
        url=build_url(url, options.get("path_params"), options.get("query_params")),
        headers=headers,
        body=payload,
        reason=reason,
        context=context,
        provider=provider,
        account=account,
        user_token=user_token,
    )


def _checked_headers(extra_headers: Mapping[str, str] | None) -> dict[str, str]:
    """The caller's extra headers, lower-cased; never the ones that carry credentials."""
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
    return headers


def _checked_context(context: object) -> dict[str, ContextValue] | None:
    """The audit context: a dict of strings to JSON scalars (copied, so later changes by the
    caller do not change what is recorded)."""
    if context is None:
        return None
    if not isinstance(context, Mapping):
        raise VaultValueError("invalid_argument", "context must be a dict")
    checked: dict[str, ContextValue] = {}
    for key, item in context.items():
        if not isinstance(key, str) or not isinstance(item, (str, int, float, bool, type(None))):
            raise VaultValueError(
                "invalid_argument", f"context[{key!r}] must be a string, number, bool or None"
            )
        checked[key] = item
    return checked


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
    if account is not None and (not isinstance(account, str) or not account or len(account) > 320):
        raise VaultValueError(
            "invalid_argument", "account must be a non-empty string (an account identifier)"
        )


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
        text = _text(params[name])
        # quote() leaves "." and ".." as they are, and they would change which path is called:
        # /repos/octocat/{repo}/issues with repo ".." is /repos/issues (F10).
        if text in ("", ".", ".."):
            raise VaultValueError(
                "invalid_argument",
                f'path_params[{name!r}] may not be empty, "." or ".." '
                "(it would change which path is called)",
            )
        return urllib.parse.quote(text, safe="!~*'()")

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
