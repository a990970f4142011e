"""What the end-to-end tests share: the world started by test/python/python-sdk.test.ts.

That Vitest file starts a real Grantvault server process, a node-oidc-provider (access tokens
live a few seconds, so every call exercises refresh), a resource API that checks tokens, and
passes their coordinates here in environment variables. Without them these tests fail at import:
they are never skipped.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from grantvault import ConnectResult, Vault

_REQUIRED = (
    "GRANTVAULT_URL",
    "GRANTVAULT_API_KEY",
    "GV_TEST_OPERATOR_KEY",
    "BROWSER",
    "GV_TEST_API_URL",
    "GV_TEST_OIDC_PROVIDER",
    "GV_TEST_OAUTH2_PROVIDER",
    "GV_TEST_ACCESS_TOKEN_TTL",
    "GV_TEST_ALLOWED_ORIGIN",
    "GV_TEST_USER_TOKEN_ALICE",
    "GV_TEST_USER_TOKEN_BOB",
    "GV_TEST_USER_TOKEN_WRONG_AUDIENCE",
    "GV_TEST_USER_TOKEN_EXPIRED",
)
_missing = [name for name in _REQUIRED if not os.environ.get(name)]
if _missing:
    raise RuntimeError(
        f"{', '.join(_missing)} not set: these end-to-end tests need the world that "
        "`npx vitest run test/python` starts (a vault, an OAuth provider, a resource API and a "
        "browser driver). They are never skipped."
    )

BASE_URL = os.environ["GRANTVAULT_URL"]
API_KEY = os.environ["GRANTVAULT_API_KEY"]
OPERATOR_KEY = os.environ["GV_TEST_OPERATOR_KEY"]
"""A vault-wide operator key: the admin client's calls on apps (create, disable, delete)."""
API_URL = os.environ["GV_TEST_API_URL"]
OIDC = os.environ["GV_TEST_OIDC_PROVIDER"]
OAUTH2 = os.environ["GV_TEST_OAUTH2_PROVIDER"]
TOKEN_TTL = float(os.environ["GV_TEST_ACCESS_TOKEN_TTL"])
ALLOWED_ORIGIN = os.environ["GV_TEST_ALLOWED_ORIGIN"]
"""The one web origin the operator allowed for the app (``apps allow-origin``)."""
ALICE_TOKEN = os.environ["GV_TEST_USER_TOKEN_ALICE"]
"""User tokens signed with the identity provider's key by the Vitest runner: alice, bob, and
two that differ from alice's in one claim (another audience; expired)."""
BOB_TOKEN = os.environ["GV_TEST_USER_TOKEN_BOB"]
WRONG_AUDIENCE_TOKEN = os.environ["GV_TEST_USER_TOKEN_WRONG_AUDIENCE"]
EXPIRED_TOKEN = os.environ["GV_TEST_USER_TOKEN_EXPIRED"]
IDENTITY = "identity"
"""The sign-in page's button (``data-provider``) for the app's identity provider."""
BROWSER_DRIVER = os.environ["BROWSER"]
LOG_DIR = Path(os.environ.get("GV_TEST_LOG_DIR") or tempfile.mkdtemp(prefix="gv-py-opener-"))
CONNECT_URL = re.compile(r"(https?://\S+/connect/gvcs_\S+)")


def vault(**kwargs: object) -> Vault:
    """A client of the test vault (API key and URL from the environment)."""
    return Vault(**kwargs)  # type: ignore[arg-type]


def browser_will(action: str, provider: str, login: str = "alice") -> Path:
    """The next browser the SDK opens (the BROWSER script) does ``action``; returns its log."""
    log = LOG_DIR / f"{provider}-{action}-{login}-{time.monotonic_ns()}.log"
    os.environ.update(
        GV_BROWSER_ACTION=action,
        GV_BROWSER_PROVIDER=provider,
        GV_BROWSER_LOGIN=login,
        GV_BROWSER_LOG=str(log),
    )
    return log


def wait_for_text(path: Path, text: str, timeout: float = 15.0) -> str:
    """Waits until the file at ``path`` contains ``text``; returns the file's content."""
    deadline = time.monotonic() + timeout
    content = ""
    while time.monotonic() < deadline:
        content = path.read_text() if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{path.name} never contained {text!r}")


def drive(
    url: str, provider: str, login: str, action: str = "approve", log: Path | None = None
) -> subprocess.Popen[bytes]:
    """Someone opens ``url`` in a browser elsewhere: runs the browser driver on it."""
    log = log or LOG_DIR / f"driven-{provider}-{login}-{time.monotonic_ns()}.log"
    env = dict(
        os.environ,
        GV_BROWSER_ACTION=action,
        GV_BROWSER_PROVIDER=provider,
        GV_BROWSER_LOGIN=login,
        GV_BROWSER_LOG=str(log),
    )
    return subprocess.Popen(
        [BROWSER_DRIVER, url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def drive_to_the_end(url: str, provider: str, login: str, timeout: float = 60.0) -> str:
    """Runs the browser driver on ``url`` until it is done; returns its log (its result line)."""
    log = LOG_DIR / f"driven-{provider}-{login}-{time.monotonic_ns()}.log"
    process = drive(url, provider, login, log=log)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    content = log.read_text() if log.exists() else ""
    if code != 0:
        raise AssertionError(f"the browser driver failed ({code}):\n{content}")
    return content


class StderrWatch(io.TextIOBase):
    """Stands in for ``sys.stderr``: keeps what is written and calls ``on_url`` with the first
    Connect link printed."""

    def __init__(self, on_url: Callable[[str], None] | None = None) -> None:
        self.text = ""
        self._on_url = on_url
        self._seen = False
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self.text += text
            match = None if self._seen else CONNECT_URL.search(self.text)
            if match:
                self._seen = True
        if match and self._on_url is not None:
            self._on_url(match.group(1))
        return len(text)

    def url(self) -> str | None:
        """The Connect link printed so far, if any."""
        match = CONNECT_URL.search(self.text)
        return match.group(1) if match else None


@contextlib.contextmanager
def watched_stderr(on_url: Callable[[str], None] | None = None) -> Iterator[StderrWatch]:
    """Captures what the SDK prints (link, code) while the block runs."""
    watch = StderrWatch(on_url)
    previous = sys.stderr
    sys.stderr = watch
    try:
        yield watch
    finally:
        sys.stderr = previous


_shared: dict[str, ConnectResult] = {}


def remember(result: ConnectResult) -> None:
    """Offers a grant a test connected anyway to the tests that need one of its provider (each
    browser flow costs seconds)."""
    _shared.setdefault(result.provider_id, result)


def forget(grant_id: str) -> None:
    """Withdraws a shared grant (a test revoked it)."""
    for provider, shared in list(_shared.items()):
        if shared.grant_id == grant_id:
            del _shared[provider]


def shared_grant(provider: str, login: str = "bob") -> ConnectResult:
    """An active grant at ``provider``: one a test connected already, else ``login``'s, connected
    through the browser now."""
    if provider not in _shared:
        browser_will("approve", provider, login)
        with watched_stderr():
            [result] = vault().connect(providers=[provider], timeout=60)
        remember(result)
    return _shared[provider]
