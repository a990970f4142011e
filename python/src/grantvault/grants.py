"""Grant management: list, read and revoke the app's grants (never their tokens)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping

from .errors import VaultValueError
from .http import VaultHttp
from .types import Grant, GrantPage

GRANT_ID = re.compile(r"^grant_[0-9a-f]{24}$")
"""What a grant id looks like: ``grant_`` and 24 hex digits."""


_QUERY_NAMES = {
    "provider_id": "provider",
    "status": "status",
    "account_identifier": "account",
    "limit": "limit",
    "cursor": "cursor",
}
"""``Vault.list_grants()``'s arguments, and the query parameters they are sent as."""


def list_grants(http: VaultHttp, filters: Mapping[str, object]) -> GrantPage:
    """``GET /v1/grants``: one page, newest first; ``filters`` are ``list_grants()``'s arguments."""
    query = {_QUERY_NAMES[name]: value for name, value in filters.items()}
    page = http.call("GET", f"/v1/grants{query_string(query)}")
    return GrantPage(
        grants=[Grant.from_body(item) for item in page["grants"]],
        next_cursor=page.get("next_cursor"),
    )


def get_grant(http: VaultHttp, grant_id: str) -> Grant:
    """``GET /v1/grants/<id>``."""
    return Grant.from_body(http.call("GET", f"/v1/grants/{checked_id(grant_id)}"))


def revoke_grant(http: VaultHttp, grant_id: str, reason: str | None = None) -> Grant:
    """``DELETE /v1/grants/<id>`` with an optional reason (recorded)."""
    path = f"/v1/grants/{checked_id(grant_id)}"
    if reason is None:
        return Grant.from_body(http.call("DELETE", path))
    if not isinstance(reason, str):
        raise VaultValueError("invalid_argument", "reason must be a string")
    return Grant.from_body(http.call("DELETE", path, {"reason": reason}))


def checked_id(grant_id: object) -> str:
    """``grant_id`` when it looks like a grant id, else ``VaultValueError`` (no network call)."""
    if not isinstance(grant_id, str) or not GRANT_ID.match(grant_id):
        raise VaultValueError("invalid_argument", f"not a grant id: {grant_id!r}")
    return grant_id


def query_string(values: Mapping[str, object]) -> str:
    """``?a=1&b=2`` from the values that are not ``None`` (``""`` when none is set)."""
    pairs = [(name, str(value)) for name, value in values.items() if value is not None]
    return f"?{urllib.parse.urlencode(pairs)}" if pairs else ""
