"""Headless OAuth (``Vault.connect()``): create a connect session, show its link, wait for it.

The steps are separate functions so that ``AsyncVault`` runs the same ones, and so that the
sign-in of ``authenticate()`` (identity.py: a sign-in session, shown and awaited the same way)
uses the same ``show_link()``, long-poll (``wait_for_session()``) and Ctrl-C handling
(``show_and_wait()``). ``kind`` says which flow: ``"connect"`` or ``"auth"``.
"""

from __future__ import annotations

import re
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

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
from .types import ConnectResult, ConnectSession, GrantPolicy

Kind = Literal["connect", "auth"]
"""Which browser flow: connecting an account, or signing in (``authenticate()``)."""

_SESSIONS_PATH: dict[Kind, str] = {"connect": "/v1/connect/sessions", "auth": "/v1/auth/sessions"}
_DOING: dict[Kind, str] = {"connect": "connecting", "auth": "signing in"}
_NOUN: dict[Kind, str] = {"connect": "connection", "auth": "sign-in"}
_OPEN_TO: dict[Kind, str] = {"connect": "To connect an account", "auth": "To sign in"}

LONG_POLL_SECONDS = 25
"""The longest the SDK asks the vault to hold one status request (the vault allows 30 s)."""

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

OpenUrl = Callable[[str], object]
"""Your own way to show the link (a chat message, a notebook widget); replaces the browser."""


class CancelledError(Exception):
    """Internal: waiting was cancelled through a ``Cancellation`` (``AsyncVault``)."""


def check_waiting(timeout: float, poll_interval: float) -> None:
    """Checks how long to wait and how often to ask (before any network call)."""
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


def session_request(
    providers: Sequence[str] | str | None,
    grant_policy: GrantPolicy | Mapping[str, int] | None,
    timeout: float,
    poll_interval: float,
) -> dict[str, Any]:
    """Checks ``connect()``'s arguments (before any network call) and builds the session body."""
    check_waiting(timeout, poll_interval)
    body: dict[str, Any] = {}
    if providers is not None:
        body["allowed_providers"] = provider_ids(providers, "providers")
    if grant_policy is not None:
        body["grant_policy"] = policy_body(grant_policy)
    return body


def is_provider_id(value: object) -> bool:
    """Whether ``value`` looks like a provider id (``github``, ``my-idp``)."""
    return isinstance(value, str) and _PROVIDER_ID.match(value) is not None


def provider_ids(providers: Sequence[str] | str, name: str) -> list[str]:
    """A checked list of provider ids (one id alone is taken as a list of one)."""
    ids = [providers] if isinstance(providers, str) else list(providers)
    if not ids:
        raise VaultValueError(
            "invalid_argument", f"{name} must be a non-empty list of provider ids"
        )
    bad = [repr(p) for p in ids if not is_provider_id(p)]
    if bad:
        raise VaultValueError("invalid_argument", f"not provider ids: {', '.join(bad)}")
    return ids


def policy_body(policy: GrantPolicy | Mapping[str, int]) -> dict[str, int]:
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
    return ConnectSession.from_body(http.call("POST", "/v1/connect/sessions", dict(body)))


def say(text: str) -> None:
    """Prints to standard error (where the SDK talks to the person, never standard output)."""
    stream = sys.stderr
    if stream is None:
        return
    stream.write(text)
    stream.flush()


def show_link(
    url: str,
    confirmation_code: str,
    open_browser: bool,
    open_url: OpenUrl | None,
    kind: Kind = "connect",
) -> bool:
    """Announces the link (``announce()``) and opens it (``open_link()``); True when opened."""
    announce(url, confirmation_code, kind)
    return open_link(url, open_browser, open_url)


def announce(url: str, confirmation_code: str, kind: Kind = "connect") -> None:
    """Prints the link and code to standard error; in a notebook, also shows a clickable link."""
    say(
        f"{_OPEN_TO[kind]}, open this link in your browser:\n\n  {url}\n\n"
        f"Confirmation code: {confirmation_code} (the page shows the same code)\n"
    )
    show_in_notebook(url, confirmation_code, _OPEN_TO[kind])


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
    kind: Kind = "connect",
) -> dict[str, Any]:
    """Waits for the session to leave ``pending`` and returns its body.

    Long-polls (the vault answers the moment the session changes); when answers come back early
    (a vault or proxy that does not hold requests) it polls every ``poll_interval`` seconds
    instead. Network errors are retried with backoff until ``deadline`` (``time.monotonic()``).
    """
    sleep = cancellation.sleep if cancellation is not None else time.sleep
    path = f"{_SESSIONS_PATH[kind]}/{urllib.parse.quote(session_id, safe='')}"
    failures = 0
    while True:
        if cancellation is not None and cancellation.cancelled:
            raise CancelledError()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(session_id, kind)
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


def _timeout(session_id: str, kind: Kind) -> ConnectTimeoutError:
    return ConnectTimeoutError(
        "connect_timeout",
        f"The user did not finish {_DOING[kind]} before the timeout.",
        details={"session_id": session_id},
    )


def show_and_wait(
    http: VaultHttp,
    kind: Kind,
    session_id: str,
    url: str,
    confirmation_code: str,
    *,
    deadline: float,
    poll_interval: float,
    open_browser: bool,
    open_url: OpenUrl | None,
) -> dict[str, Any]:
    """Shows the session's link, waits for the user, and returns the final session body.

    Ctrl-C stops waiting with a one-line message (``KeyboardInterrupt`` is raised again).
    """
    interrupted = False
    try:
        opened = show_link(url, confirmation_code, open_browser, open_url, kind)
        say(waiting_line(opened))
        final = wait_for_session(http, session_id, deadline, poll_interval, kind=kind)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        # Raised outside the except block: one short traceback, not a chain.
        say(f"\nStopped waiting for the {_NOUN[kind]} (interrupted).\n")
        raise KeyboardInterrupt
    return final


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
    final = show_and_wait(
        http,
        "connect",
        session.session_id,
        session.connect_url,
        session.confirmation_code,
        deadline=deadline,
        poll_interval=poll_interval,
        open_browser=open_browser,
        open_url=open_url,
    )
    return results_of(final)


def waiting_line(opened: bool) -> str:
    """The line printed while waiting."""
    where = "in the browser that just opened" if opened else "once the link is opened"
    stop = "interrupt the kernel to stop" if in_notebook() else "Ctrl-C to stop"
    return f"Waiting for you to finish {where}... ({stop})\n"
