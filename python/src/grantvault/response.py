"""The provider's answer to ``request()`` and ``proxy_request()``: status, headers and body.

It holds what the provider sent back and nothing of what was sent to it: no request headers,
so no credential.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

__all__ = ["Headers", "Response"]


class Headers(Mapping[str, str]):
    """Response headers: a read-only, case-insensitive mapping.

    Repeated headers are joined with ``", "`` (as ``fetch`` does); ``get_all()`` gives them one
    by one.
    """

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items = [(name.lower(), value) for name, value in items]
        self._joined: dict[str, str] = {}
        for name, value in self._items:
            self._joined[name] = f"{self._joined[name]}, {value}" if name in self._joined else value

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name``, in the order received."""
        lowered = name.lower()
        return [value for key, value in self._items if key == lowered]

    def __repr__(self) -> str:
        return f"Headers({self._joined!r})"


@dataclass(frozen=True)
class RetryInfo:
    """What the vault did before the call: it refreshed the grant's token."""

    refresh_attempts: int
    """Refresh requests the provider got (retried on failure; 0: a concurrent refresh was used)."""

    @staticmethod
    def from_body(body: object) -> RetryInfo | None:
        """The vault's ``retry_info`` (or ``grantvault-retry-info`` header, parsed), if any."""
        if isinstance(body, dict) and isinstance(body.get("refresh_attempts"), int):
            return RetryInfo(body["refresh_attempts"])
        return None


class Response:
    """An HTTP answer from the provider (through the vault in proxy mode).

    Redirects are returned as they are (``status_code`` 3xx with a ``location`` header), never
    followed: a redirect could lead elsewhere with the credential.
    """

    __slots__ = ("_content", "headers", "reason", "retry_info", "status_code", "url")

    status_code: int
    """The HTTP status code."""
    reason: str
    """The HTTP reason phrase (may be empty)."""
    headers: Headers
    """The response headers (case-insensitive)."""
    url: str
    """The URL that was called (path parameters filled, query parameters added)."""
    retry_info: RetryInfo | None
    """Set when the vault refreshed the grant's token for this call, else ``None``."""

    def __init__(
        self,
        status_code: int,
        reason: str,
        headers: Headers,
        content: bytes,
        url: str,
        retry_info: RetryInfo | None = None,
    ) -> None:
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.url = url
        self.retry_info = retry_info
        self._content = content

    @property
    def content(self) -> bytes:
        """The whole body, as bytes."""
        return self._content

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code < 300

    @property
    def encoding(self) -> str:
        """The body's character set from ``content-type``, else ``utf-8``."""
        content_type = self.headers.get("content-type")
        if content_type:
            message = Message()
            message["content-type"] = content_type
            charset = message.get_param("charset")
            if isinstance(charset, str) and charset:
                return charset
        return "utf-8"

    @property
    def text(self) -> str:
        """The body decoded as text (undecodable bytes replaced)."""
        try:
            return self._content.decode(self.encoding, errors="replace")
        except LookupError:
            return self._content.decode("utf-8", errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (``json.loads`` keyword arguments pass through)."""
        return _json.loads(self._content, **kwargs)

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @staticmethod
    def from_parts(
        status: int,
        reason: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        content: bytes,
        url: str,
    ) -> Response:
        """Builds a response (for SDK internals and for tests of code that uses the SDK)."""
        items = headers.items() if isinstance(headers, Mapping) else headers
        return Response(status, reason, Headers(items), content, url)
