"""The app's audit log, read one page at a time."""

from __future__ import annotations

from collections.abc import Mapping

from .grants import query_string
from .http import VaultHttp
from .types import AuditEvent, AuditPage


def list_audit_events(http: VaultHttp, filters: Mapping[str, object]) -> AuditPage:
    """``GET /v1/audit``: one page of the app's events, newest first; ``filters`` are
    ``list_audit_events()``'s arguments, sent as query parameters of the same names."""
    page = http.call("GET", f"/v1/audit{query_string(filters)}")
    return AuditPage(
        events=[AuditEvent.from_body(item) for item in page["events"]],
        next_cursor=page.get("next_cursor"),
    )
