"""Who the user is: ``authenticate()`` (sign-in at the app's identity provider) and user tokens.

The sign-in is a browser flow like ``connect()``: a sign-in session whose link is printed (and
opened, and shown in a notebook), then a long-poll until the user has signed in. The vault hands
back the identity provider's ID token, the *user token*, which later calls pass as
``user_token=`` so that grants are bound to, and resolved for, that user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import connect as _connect
from .connect import BrowserSession
from .errors import VaultValueError
from .http import VaultHttp
from .types import AuthResult

MAX_USER_TOKEN_LENGTH = 8192
"""The longest user token the vault accepts."""


def check_user_token(token: object, name: str = "user_token") -> str:
    """A user token as the vault takes it: a non-empty one-line string (never echoed in errors)."""
    if not isinstance(token, str) or not token:
        raise VaultValueError(
            "invalid_argument", f"{name} must be a non-empty string (a user token)"
        )
    if len(token) > MAX_USER_TOKEN_LENGTH or not token.isascii() or not token.isprintable():
        raise VaultValueError(
            "invalid_argument", f"{name} is not a user token (one line of ASCII, at most 8192)"
        )
    return token


def start_sign_in(http: VaultHttp, timeout: float, poll_interval: float) -> BrowserSession:
    """Checks ``authenticate()``'s arguments and creates a sign-in session
    (``POST /v1/auth/sessions``; its ``sign_in_url`` holds its bearer token)."""
    _connect.check_waiting(timeout, poll_interval)
    return _connect.start_session(http, "auth", {}, timeout, poll_interval)


def auth_result_of(session: Mapping[str, Any]) -> AuthResult:
    """The signed-in user, or the ``ConnectFlowError`` that says why there is none."""
    user_token = session.get("user_token")
    if session.get("status") == "completed" and isinstance(user_token, str) and user_token:
        info = session.get("user_info")
        return AuthResult(user_token=user_token, user_info=dict(info) if info else {})
    raise _connect.flow_error(session, "auth")


def verify_user_token(http: VaultHttp, token: str) -> str | None:
    """``POST /v1/identity/verify``: the token's subject when it is valid for the app, else None."""
    body = http.call(
        "POST", "/v1/identity/verify", {"user_token": check_user_token(token, "token")}
    )
    subject = body.get("subject")
    return subject if isinstance(subject, str) else None
