"""The app's audit log, read one page at a time."""

from __future__ import annotations

from .grants import query_string
from .http import VaultHttp
from .types import AuditEvent, AuditPage


def list_audit_events(
    http: VaultHttp,
    *,
    type: str | None = None,
    grant_id: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> AuditPage:
    """``GET /v1/audit``: one page of the app's events, newest first."""
    query = {"type": type, "grant_id": grant_id, "limit": limit, "cursor": cursor}
    page = http.call("GET", f"/v1/audit{query_string(query)}")
    return AuditPage(
        events=[AuditEvent.from_body(item) for item in page["events"]],
        next_cursor=page.get("next_cursor"),
    )
