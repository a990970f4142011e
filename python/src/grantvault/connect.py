"""Headless OAuth (``Vault.connect()``): create a connect session, show its link, wait for it.

The steps are separate functions so that ``AsyncVault`` runs the same ones, and so that a later
browser flow (``authenticate()``: the identity provider's sign-in, shown and awaited the same
way) can reuse ``show_link()`` and the long-poll in ``wait_for_session()``.
"""

from __future__ import annotations

import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .browser import can_open_browser, in_notebook, open_in_browser, show_in_notebook
from .errors import (
    ConnectConfigError,
    ConnectDeniedError,
    ConnectFlowError,
    ConnectTimeoutError,
    NetworkError,
    VaultValueError,
)
from .http import Cancellation, VaultHttp
from .types import ConnectResult, GrantPolicy

LONG_POLL_SECONDS = 25
"""The longest the SDK asks the vault to hold one status request (the vault allows 30 s)."""

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

OpenUrl = Callable[[str], object]
"""Your own way to show the link (a chat message, a notebook widget); replaces the browser."""


class CancelledError(Exception):
    """Internal: waiting was cancelled through a ``Cancellation`` (``AsyncVault``)."""


@dataclass(frozen=True)
class ConnectSession:
    """A connect session as created (its bearer token is only inside ``connect_url``)."""

    session_id: str
    connect_url: str
    confirmation_code: str
    expires_at: str

    def __repr__(self) -> str:
        return f"ConnectSession(session_id={self.session_id!r})"


def session_request(
    providers: Sequence[str] | str | None,
    grant_policy: GrantPolicy | Mapping[str, int] | None,
    timeout: float,
    poll_interval: float,
) -> dict[str, Any]:
    """Checks ``connect()``'s arguments (before any network call) and builds the session body."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise VaultValueError("invalid_argument", "timeout must be a positive number of seconds")
    if timeout == float("inf"):
        raise VaultValueError("invalid_argument", "timeout must be a finite number of seconds")
    if (
        isinstance(poll_interval, bool)
        or not isinstance(poll_interval, (int, float))
        or not poll_interval >= 0.1
    ):
        raise VaultValueError("invalid_argument", "poll_interval must be at least 0.1 seconds")
    body: dict[str, Any] = {}
    if providers is not None:
        ids = [providers] if isinstance(providers, str) else list(providers)
        if not ids:
            raise VaultValueError(
                "invalid_argument", "providers must be a non-empty list of provider ids"
            )
        bad = [repr(p) for p in ids if not isinstance(p, str) or not _PROVIDER_ID.match(p)]
        if bad:
            raise VaultValueError("invalid_argument", f"not provider ids: {', '.join(bad)}")
        body["allowed_providers"] = ids
    if grant_policy is not None:
        body["grant_policy"] = _policy_body(grant_policy)
    return body


def _policy_body(policy: GrantPolicy | Mapping[str, int]) -> dict[str, int]:
    if isinstance(policy, GrantPolicy):
        values: Mapping[str, Any] = policy.to_body()
    elif isinstance(policy, Mapping):
        values = policy
    else:
        raise VaultValueError("invalid_argument", "grant_policy must be a GrantPolicy or a dict")
    known = {"max_ttl_seconds", "default_ttl_seconds"}
    body: dict[str, int] = {}
    for name, value in values.items():
        if name not in known:
            raise VaultValueError("invalid_argument", f"grant_policy.{name} is not a policy field")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 60:
            raise VaultValueError(
                "invalid_argument", f"grant_policy.{name} must be a whole number of seconds >= 60"
            )
        body[name] = value
    return body


def create_session(http: VaultHttp, body: Mapping[str, Any]) -> ConnectSession:
    """``POST /v1/connect/sessions``."""
    created = http.call("POST", "/v1/connect/sessions", dict(body))
    return ConnectSession(
        session_id=created["session_id"],
        connect_url=created["connect_url"],
        confirmation_code=created["confirmation_code"],
        expires_at=created["expires_at"],
    )


def say(text: str) -> None:
    """Prints to standard error (where the SDK talks to the person, never standard output)."""
    stream = sys.stderr
    if stream is None:
        return
    stream.write(text)
    stream.flush()


def show_link(
    url: str, confirmation_code: str, open_browser: bool, open_url: OpenUrl | None
) -> bool:
    """Announces the link (``announce()``) and opens it (``open_link()``); True when opened."""
    announce(url, confirmation_code)
    return open_link(url, open_browser, open_url)


def announce(url: str, confirmation_code: str) -> None:
    """Prints the link and code to standard error; in a notebook, also shows a clickable link."""
    say(
        f"To connect an account, open this link in your browser:\n\n  {url}\n\n"
        f"Confirmation code: {confirmation_code} (the page shows the same code)\n"
    )
    show_in_notebook(url, confirmation_code)


def open_link(url: str, open_browser: bool, open_url: OpenUrl | None) -> bool:
    """Hands the link to ``open_url``, or opens the browser when one can be reached.

    Returns whether something was opened.
    """
    if open_url is not None:
        try:
            open_url(url)
            return True
        except Exception as error:  # noqa: BLE001 - the link is printed; the user can open it
            say(f"Could not open the link ({type(error).__name__}); open it yourself.\n")
            return False
    if not open_browser or not can_open_browser():
        return False
    opened = open_in_browser(url)
    if not opened:
        say("Could not open a browser here; open the link above yourself.\n")
    return opened


def wait_for_session(
    http: VaultHttp,
    session_id: str,
    deadline: float,
    poll_interval: float,
    cancellation: Cancellation | None = None,
) -> dict[str, Any]:
    """Waits for the session to leave ``pending`` and returns its body.

    Long-polls (the vault answers the moment the session changes); when answers come back early
    (a vault or proxy that does not hold requests) it polls every ``poll_interval`` seconds
    instead. Network errors are retried with backoff until ``deadline`` (``time.monotonic()``).
    """
    sleep = cancellation.sleep if cancellation is not None else time.sleep
    path = f"/v1/connect/sessions/{urllib.parse.quote(session_id, safe='')}"
    failures = 0
    while True:
        if cancellation is not None and cancellation.cancelled:
            raise CancelledError()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(session_id)
        wait = max(0, min(LONG_POLL_SECONDS, int(remaining)))
        asked = time.monotonic()
        try:
            session = http.call(
                "GET",
                f"{path}?wait={wait}",
                timeout=wait + http.timeout,
                cancellation=cancellation,
            )
        except NetworkError:
            if cancellation is not None and cancellation.cancelled:
                raise CancelledError() from None
            failures += 1
            backoff = poll_interval * 2 ** min(failures - 1, 4)
            sleep(min(backoff, max(0.0, deadline - time.monotonic())))
            continue
        failures = 0
        if session.get("status") != "pending":
            return dict(session)
        if wait == 0 or time.monotonic() - asked < wait / 2:
            sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


def results_of(session: Mapping[str, Any]) -> list[ConnectResult]:
    """The session's results, or the ``ConnectFlowError`` that says why there are none."""
    status = session.get("status")
    session_id = str(session.get("session_id", ""))
    details = {"session_id": session_id}
    if status == "completed":
        return [ConnectResult.from_body(item) for item in session.get("results") or []]
    if status == "expired":
        raise ConnectTimeoutError(
            "connect_timeout",
            "The connect session expired before the user finished.",
            details=details,
        )
    error = session.get("error") or {}
    code = error.get("code") or "provider_error"
    message = error.get("message") or "The connection failed."
    if code == "access_denied":
        raise ConnectDeniedError(code, message, details=details)
    if code == "provider_config":
        raise ConnectConfigError(code, message, details=details)
    raise ConnectFlowError(code, message, details=details)


def _timeout(session_id: str) -> ConnectTimeoutError:
    return ConnectTimeoutError(
        "connect_timeout",
        "The user did not finish connecting before the timeout.",
        details={"session_id": session_id},
    )


def connect(
    http: VaultHttp,
    *,
    providers: Sequence[str] | str | None,
    grant_policy: GrantPolicy | Mapping[str, int] | None,
    timeout: float,
    poll_interval: float,
    open_browser: bool,
    open_url: OpenUrl | None,
) -> list[ConnectResult]:
    """The blocking flow behind ``Vault.connect()``; Ctrl-C stops it with a short message."""
    body = session_request(providers, grant_policy, timeout, poll_interval)
    deadline = time.monotonic() + timeout
    session = create_session(http, body)
    interrupted = False
    try:
        opened = show_link(session.connect_url, session.confirmation_code, open_browser, open_url)
        say(waiting_line(opened))
        final = wait_for_session(http, session.session_id, deadline, poll_interval)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        # Raised outside the except block: one short traceback, not a chain.
        say("\nStopped waiting for the connection (interrupted).\n")
        raise KeyboardInterrupt
    return results_of(final)


def waiting_line(opened: bool) -> str:
    """The line printed while waiting."""
    where = "in the browser that just opened" if opened else "once the link is opened"
    stop = "interrupt the kernel to stop" if in_notebook() else "Ctrl-C to stop"
    return f"Waiting for you to finish {where}... ({stop})\n"
