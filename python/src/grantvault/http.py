"""HTTP for the SDK, on ``http.client``: the channel to the vault, and single exchanges.

``http.client`` never follows redirects and never reads proxy settings, so a credential goes to
exactly the URL it was issued for. Each exchange uses its own connection, so one ``Vault`` can
be shared between threads.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._version import __version__
from .errors import NetworkError, VaultError, VaultValueError, error_from_response
from .local_credentials import resolve_vault_access

USER_AGENT = f"grantvault-python/{__version__}"
DEFAULT_BASE_URL = "http://127.0.0.1:7400"
"""Where the embedded default server (``grantvault-server``, ``npm start``) listens."""

_NO_BODY: Any = object()


@dataclass(frozen=True)
class RawResponse:
    """What one exchange answered: status, reason phrase, headers in order, whole body."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), else ``None``."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


class Cancellation:
    """Stops waiting from another thread: sets a flag and shuts the exchange's socket down."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._connection: http.client.HTTPConnection | None = None

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel()`` was called."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Marks this as cancelled and unblocks an exchange waiting on the network."""
        self._event.set()
        with self._lock:
            connection = self._connection
        sock = connection.sock if connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def sleep(self, seconds: float) -> None:
        """Sleeps up to ``seconds``; returns early once cancelled."""
        self._event.wait(max(0.0, seconds))

    def _attach(self, connection: http.client.HTTPConnection | None) -> None:
        with self._lock:
            self._connection = connection


def is_loopback_host(hostname: str) -> bool:
    """Loopback hosts, where plain http cannot be read on the network (as the vault judges)."""
    loopback_v4 = re.fullmatch(r"127\.\d+\.\d+\.\d+", hostname) is not None
    return hostname in ("localhost", "::1") or loopback_v4


def check_vault_transport(url: str, allow_insecure_http: bool | None) -> None:
    """The API key and tokens travel to the vault in every call: plain http to a host other than
    loopback is refused unless the caller opted in (F20a)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or is_loopback_host(parts.hostname or ""):
        return
    allowed = (
        allow_insecure_http
        if allow_insecure_http is not None
        else os.environ.get("GRANTVAULT_ALLOW_INSECURE_HTTP") == "1"
    )
    if not allowed:
        raise VaultValueError(
            "invalid_argument",
            f"base_url {origin_of(url)} is plain http to a non-loopback host: the API key would "
            "travel in cleartext. Use https, or pass allow_insecure_http=True (or set "
            "GRANTVAULT_ALLOW_INSECURE_HTTP=1) if you must.",
        )


def origin_of(url: str) -> str:
    """``scheme://host[:port]``, lower-cased, default ports left out (as WHATWG origins)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"


_NETLOC = re.compile(r"^[A-Za-z0-9.:\-\[\]]+$")


def check_netloc(url: str) -> None:
    """Only plain host (and port) characters: a netloc with others (``\\``, ``@``, ``%``) is read
    differently by the vault's WHATWG parser and by ``http.client``, which could connect to a
    host the vault never approved (F9)."""
    netloc = urllib.parse.urlsplit(url).netloc
    if not _NETLOC.match(netloc):
        raise VaultValueError(
            "invalid_argument",
            f"the URL's host part {netloc!r} has characters outside [A-Za-z0-9.:-[]]",
        )


def exchange(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    timeout: float,
    cancellation: Cancellation | None = None,
) -> RawResponse:
    """Sends one request and reads the whole answer. Raises ``OSError`` (or
    ``http.client.HTTPException``) when the network fails; redirects are returned, not followed.
    """
    parts = urllib.parse.urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.netloc, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    if cancellation is not None:
        cancellation._attach(connection)
    try:
        connection.request(method, target, body=body, headers=dict(headers))
        response = connection.getresponse()
        content = response.read()
        return RawResponse(response.status, response.reason, response.getheaders(), content)
    finally:
        if cancellation is not None:
            cancellation._attach(None)
        connection.close()


class _Secret:
    """Holds a secret string; shows up as ``<redacted>`` in reprs and refuses to be pickled."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one header that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "<redacted>"

    def __reduce__(self) -> Any:
        raise TypeError("a Grantvault API key cannot be pickled")


class VaultHttp:
    """JSON over HTTP to the vault, with the API key. The key never shows in a repr or an error."""

    def __init__(
        self, base_url: str, api_key: str, timeout: float, public_url: str | None = None
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self._api_key = _Secret(api_key)
        self.link_origins: tuple[str, ...] = tuple(
            dict.fromkeys(origin_of(url) for url in (base_url, public_url) if url is not None)
        )
        """Origins whose connect and sign-in links the SDK shows and opens (F20b)."""

    @classmethod
    def configured(
        cls,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        allow_insecure_http: bool | None = None,
        public_url: str | None = None,
    ) -> VaultHttp:
        """The channel of ``Vault(api_key, base_url, timeout)``: the key and URL from the
        arguments, else the environment (``GRANTVAULT_API_KEY``, ``GRANTVAULT_URL``), else a local
        vault's credentials file (local_credentials.py), all checked before any network call."""
        key, url = resolve_vault_access(api_key, base_url)
        url = url or DEFAULT_BASE_URL
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise VaultValueError(
                "invalid_argument", f"base_url must be an http(s) URL, got {url!r}"
            )
        if parts.username is not None or parts.password is not None:
            raise VaultValueError(
                "invalid_argument", "base_url must not contain a user or password"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise VaultValueError(
                "invalid_argument", "timeout must be a positive number of seconds"
            )
        check_vault_transport(url, allow_insecure_http)
        if public_url is not None:
            public = urllib.parse.urlsplit(public_url) if isinstance(public_url, str) else None
            if public is None or public.scheme not in ("http", "https") or not public.hostname:
                raise VaultValueError(
                    "invalid_argument", f"public_url must be an http(s) URL, got {public_url!r}"
                )
        return cls(url.rstrip("/"), key, float(timeout), public_url)

    def __repr__(self) -> str:
        return f"VaultHttp(base_url={self.base_url!r})"

    def call(
        self,
        method: str,
        path: str,
        body: Any = _NO_BODY,
        *,
        timeout: float | None = None,
        cancellation: Cancellation | None = None,
    ) -> Any:
        """Sends JSON (when ``body`` is given) and returns the parsed JSON answer.

        Raises the matching ``VaultError`` subclass for error answers, ``NetworkError`` when the
        vault cannot be reached.
        """
        headers = {"accept": "application/json"}
        payload = None
        if body is not _NO_BODY:
            headers["content-type"] = "application/json"
            payload = json.dumps(body).encode("utf-8")
        raw = self.send(method, path, headers, payload, timeout=timeout, cancellation=cancellation)
        try:
            parsed = json.loads(raw.content) if raw.content else None
        except ValueError:
            parsed = None
        if raw.status >= 400:
            raise error_from_response(raw.status, parsed)
        if parsed is None:
            raise VaultError(
                "unexpected_response",
                f"the vault answered {raw.status} without JSON",
                status=raw.status,
            )
        return parsed

    def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        timeout: float | None = None,
        cancellation: Cancellation | None = None,
    ) -> RawResponse:
        """A raw request with the API key (proxy mode). Network failures become ``NetworkError``."""
        all_headers = {"user-agent": USER_AGENT, **headers}
        all_headers["authorization"] = f"Bearer {self._api_key.reveal()}"
        failure: str | None = None
        try:
            return exchange(
                method,
                f"{self.base_url}{path}",
                all_headers,
                body,
                self.timeout if timeout is None else timeout,
                cancellation,
            )
        except (OSError, http.client.HTTPException) as error:
            failure = type(error).__name__
        # Raised outside the except block, so the error carries no chain back to frames that
        # held the request's headers.
        del all_headers
        raise NetworkError(
            "network_error",
            f"cannot reach the vault at {self.base_url} ({failure})",
            details={"base_url": self.base_url},
        )
