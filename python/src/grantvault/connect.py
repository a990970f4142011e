"""Headless OAuth (``Vault.connect()``): create a connect session, show its link, wait for it.

The sign-in of ``authenticate()`` (identity.py) is the same kind of browser flow, so both share
what is here: a ``BrowserSession`` (``start_session()``), shown and awaited by
``show_and_wait()`` (``AsyncVault`` has a coroutine of its own around the same
``wait_for_session()``), and ``flow_error()`` for one that ended without a result. ``kind`` says
which flow: ``"connect"`` or ``"auth"``.
"""

from __future__ import annotations

import os
import re
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .browser import OpenUrl, open_link, say, show_in_notebook, waiting_line
from .errors import (
    ConnectConfigError,
    ConnectDeniedError,
    ConnectFlowError,
    ConnectTimeoutError,
    NetworkError,
    VaultError,
    VaultValueError,
)
from .http import Cancellation, VaultHttp, origin_of
from .types import ConnectResult, GrantPolicy

Kind = Literal["connect", "auth"]
"""Which browser flow: connecting an account, or signing in (``authenticate()``)."""

_SESSIONS_PATH: dict[Kind, str] = {"connect": "/v1/connect/sessions", "auth": "/v1/auth/sessions"}
_LINK_FIELD: dict[Kind, str] = {"connect": "connect_url", "auth": "sign_in_url"}
_DOING: dict[Kind, str] = {"connect": "connecting", "auth": "signing in"}
_NOUN: dict[Kind, str] = {"connect": "connection", "auth": "sign-in"}
_SESSION_NAME: dict[Kind, str] = {"connect": "connect session", "auth": "sign-in session"}
_OPEN_TO: dict[Kind, str] = {"connect": "To connect an account", "auth": "To sign in"}
_ERROR_CLASSES: dict[Kind, dict[str, type[ConnectFlowError]]] = {
    "connect": {"access_denied": ConnectDeniedError, "provider_config": ConnectConfigError},
    # A sign-in has no provider_config case of its own (as in the TypeScript SDK).
    "auth": {"access_denied": ConnectDeniedError},
}

LONG_POLL_SECONDS = 25
"""The longest the SDK asks the vault to hold one status request (the vault allows 30 s)."""

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class CancelledError(Exception):
    """Internal: waiting was cancelled through a ``Cancellation`` (``AsyncVault``)."""


@dataclass(frozen=True)
class BrowserSession:
    """A connect or sign-in session the user finishes in the browser, as the SDK waits for it."""

    kind: Kind
    session_id: str
    url: str = field(repr=False)
    """The page to open; it holds the session's bearer token, so it is left out of ``repr()``."""
    confirmation_code: str
    deadline: float
    """When to stop waiting, on the ``time.monotonic()`` clock."""
    poll_interval: float


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


def start_connect(
    http: VaultHttp,
    providers: Sequence[str] | str | None,
    grant_policy: GrantPolicy | Mapping[str, int] | None,
    timeout: float,
    poll_interval: float,
    connection_params: Mapping[str, Mapping[str, str]] | None = None,
) -> BrowserSession:
    """Checks ``connect()``'s arguments (before any network call) and creates its session."""
    check_waiting(timeout, poll_interval)
    body: dict[str, Any] = {}
    if providers is not None:
        body["allowed_providers"] = provider_ids(providers, "providers")
    if grant_policy is not None:
        body["grant_policy"] = policy_body(grant_policy)
    if connection_params is not None:
        body["connection_params"] = connection_params_body(connection_params)
    return start_session(http, "connect", body, timeout, poll_interval)


def start_session(
    http: VaultHttp, kind: Kind, body: Mapping[str, Any], timeout: float, poll_interval: float
) -> BrowserSession:
    """Creates a connect or sign-in session (its arguments checked already); the ``timeout``
    counts from here."""
    deadline = time.monotonic() + timeout
    try:
        created = http.call("POST", _SESSIONS_PATH[kind], dict(body))
    except VaultError as error:
        # A provider the vault does not have (or none at all) is the operator's configuration,
        # not a bad argument: ConnectConfigError, as in the TypeScript SDK (item 11).
        if error.code not in _NOT_CONFIGURED:
            raise
        config_error = ConnectConfigError(
            error.code, error.message, status=error.status, issues=error.issues
        )
    else:
        config_error = None
    if config_error is not None:
        raise config_error
    url = created[_LINK_FIELD[kind]]
    check_link_origin(url, http.link_origins)
    return BrowserSession(
        kind=kind,
        session_id=created["session_id"],
        url=url,
        confirmation_code=created["confirmation_code"],
        deadline=deadline,
        poll_interval=poll_interval,
    )


_NOT_CONFIGURED = frozenset({"unknown_provider", "no_providers_configured"})


def check_link_origin(url: object, origins: Sequence[str]) -> None:
    """A connect or sign-in link is shown and opened in the user's browser only when it is on
    the vault's own origin (or ``public_url``'s): a vault answer pointing elsewhere would send
    the user, and the OS opener, anywhere (F20b)."""
    origin = origin_of(url) if isinstance(url, str) and "://" in url else None
    if origin is not None and origin in origins:
        return
    raise ConnectFlowError(
        "unexpected_response",
        f"the vault answered with a link on another origin ({origin or 'not a URL'}, expected "
        f"{' or '.join(origins)}); not opened. If the vault's public URL differs from "
        "base_url, pass public_url=.",
    )


def ci_link_warning(env: Mapping[str, str] | None = None) -> str | None:
    """Printing a bearer link into a CI log hands it to everyone who reads the log (F22)."""
    ci = (os.environ if env is None else env).get("CI")
    if not ci or ci in ("false", "0"):
        return None
    return (
        "Warning: this looks like CI (CI is set). The link above is a bearer link: whoever "
        "opens it first completes the flow. Do not leave it in a shared log.\n"
    )


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


def announce(session: BrowserSession) -> None:
    """Prints the link and code to standard error; in a notebook, also shows a clickable link."""
    say(
        f"{_OPEN_TO[session.kind]}, open this link in your browser:\n\n  {session.url}\n\n"
        f"Confirmation code: {session.confirmation_code} (the page shows the same code)\n"
    )
    warning = ci_link_warning()
    if warning:
        say(warning)
    show_in_notebook(session.url, session.confirmation_code, _OPEN_TO[session.kind])


def show_and_wait(
    http: VaultHttp, session: BrowserSession, open_browser: bool, open_url: OpenUrl | None
) -> dict[str, Any]:
    """Shows the session's link, waits for the user, and returns the final session body.

    Ctrl-C stops waiting with a one-line message (``KeyboardInterrupt`` is raised again).
    """
    interrupted = False
    try:
        announce(session)
        say(waiting_line(open_link(session.url, open_browser, open_url)))
        final = wait_for_session(http, session)
    except KeyboardInterrupt:
        interrupted = True
    if interrupted:
        # Raised outside the except block: one short traceback, not a chain.
        say(f"\nStopped waiting for the {_NOUN[session.kind]} (interrupted).\n")
        raise KeyboardInterrupt
    return final


def wait_for_session(
    http: VaultHttp, session: BrowserSession, cancellation: Cancellation | None = None
) -> dict[str, Any]:
    """Waits for the session to leave ``pending`` and returns its body.

    Long-polls (the vault answers the moment the session changes); when answers come back early
    (a vault or proxy that does not hold requests) it polls every ``poll_interval`` seconds
    instead. Network errors are retried with backoff until the session's ``deadline``.
    """
    deadline, poll_interval = session.deadline, session.poll_interval
    sleep = cancellation.sleep if cancellation is not None else time.sleep
    path = f"{_SESSIONS_PATH[session.kind]}/{urllib.parse.quote(session.session_id, safe='')}"
    failures = 0
    while True:
        if cancellation is not None and cancellation.cancelled:
            raise CancelledError()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timeout(session)
        wait = max(0, min(LONG_POLL_SECONDS, int(remaining)))
        asked = time.monotonic()
        try:
            answer = http.call(
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
        if answer.get("status") != "pending":
            return dict(answer)
        if wait == 0 or time.monotonic() - asked < wait / 2:
            sleep(min(poll_interval, max(0.0, deadline - time.monotonic())))


def results_of(session: Mapping[str, Any]) -> list[ConnectResult]:
    """The connect session's results, or the ``ConnectFlowError`` that says why there are none."""
    if session.get("status") == "completed":
        return [ConnectResult.from_body(item) for item in session.get("results") or []]
    raise flow_error(session, "connect")


def flow_error(session: Mapping[str, Any], kind: Kind) -> ConnectFlowError:
    """Why a finished connect or sign-in session has no result: expired, or its error."""
    details = {"session_id": str(session.get("session_id", ""))}
    if session.get("status") == "expired":
        return ConnectTimeoutError(
            "connect_timeout",
            f"The {_SESSION_NAME[kind]} expired before the user finished.",
            details=details,
        )
    error = session.get("error") or {}
    code = error.get("code") or "provider_error"
    message = error.get("message") or f"The {_NOUN[kind]} failed."
    return _ERROR_CLASSES[kind].get(code, ConnectFlowError)(code, message, details=details)


def _timeout(session: BrowserSession) -> ConnectTimeoutError:
    return ConnectTimeoutError(
        "connect_timeout",
        f"The user did not finish {_DOING[session.kind]} before the timeout.",
        details={"session_id": session.session_id},
    )


def connection_params_body(
    connection_params: Mapping[str, Mapping[str, str]],
) -> dict[str, dict[str, str]]:
    """Per provider, its per-connection parameters (``{"corp": {"tenant": "acme"}}``), checked
    for shape; the vault checks the values against each provider's parameters."""
    if not isinstance(connection_params, Mapping) or not all(
        is_provider_id(provider)
        and isinstance(values, Mapping)
        and all(isinstance(name, str) and isinstance(value, str) for name, value in values.items())
        for provider, values in connection_params.items()
    ):
        raise VaultValueError(
            "invalid_argument",
            "connection_params must map provider ids to {parameter: string value} dicts",
        )
    return {provider: dict(values) for provider, values in connection_params.items()}
