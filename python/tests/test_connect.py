"""``Vault.connect()`` end to end: the real vault, OAuth provider and browser (headless Chromium
driven by the BROWSER script that ``webbrowser`` runs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import unittest

import support
from grantvault import (
    ConnectDeniedError,
    ConnectResult,
    ConnectTimeoutError,
    GrantPolicy,
    VaultError,
)


class ConnectTest(unittest.TestCase):
    def test_opens_the_browser_and_returns_a_grant(self) -> None:
        log = support.browser_will("approve", support.OIDC, "alice")
        with support.watched_stderr() as printed:
            results = support.vault().connect(providers=[support.OIDC], timeout=60)
        self.assertEqual(len(results), 1)
        [result] = results
        self.assertIsInstance(result, ConnectResult)
        self.assertRegex(result.grant_id, r"^grant_[0-9a-f]{24}$")
        self.assertEqual(result.provider_id, support.OIDC)
        self.assertEqual(result.account_identifier, "alice@example.test")
        self.assertIn("openid", result.scopes)
        self.assertIsNone(result.grant_policy)
        support.remember(result)
        self.assertRegex(
            printed.text,
            r"open this link in your browser:\n\n  http://127\.0\.0\.1:\d+/connect/gvcs_",
        )
        self.assertRegex(printed.text, r"Confirmation code: [A-Z2-9]{4}-[A-Z2-9]{4}")
        self.assertIn("in the browser that just opened", printed.text)
        # The browser script finishes on its own schedule, just after the vault saw the callback.
        support.wait_for_text(log, "result: success")

    def test_denied_at_the_provider(self) -> None:
        support.browser_will("deny-at-provider", support.OIDC, "alice")
        with support.watched_stderr(), self.assertRaises(ConnectDeniedError) as caught:
            support.vault().connect(providers=[support.OIDC], timeout=60)
        self.assertEqual(caught.exception.code, "access_denied")
        self.assertRegex(caught.exception.details["session_id"], r"^cs_")

    def test_times_out_when_the_user_never_finishes(self) -> None:
        support.browser_will("ignore", support.OIDC)
        started = time.monotonic()
        with support.watched_stderr(), self.assertRaises(ConnectTimeoutError) as caught:
            support.vault().connect(providers=[support.OIDC], timeout=1)
        self.assertGreaterEqual(time.monotonic() - started, 0.95)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(caught.exception.code, "connect_timeout")

    def test_without_a_browser_prints_the_link_and_completes_when_it_is_visited(self) -> None:
        log = support.browser_will("fail", support.OAUTH2)  # would show if it were run
        visits = []

        def someone_visits(url: str) -> None:
            visits.append(support.drive(url, support.OAUTH2, "dave"))

        with support.watched_stderr(someone_visits) as printed:
            [result] = support.vault().connect(
                providers=support.OAUTH2,
                grant_policy=GrantPolicy(max_ttl_seconds=7200),
                timeout=60,
                poll_interval=0.5,
                open_browser=False,
            )
        self.assertEqual(visits[0].wait(30), 0)
        self.assertEqual(result.provider_id, support.OAUTH2)
        self.assertEqual(result.account_identifier, "dave")
        self.assertEqual(result.scopes, ["repo", "read:user"])
        self.assertEqual(result.grant_policy, GrantPolicy(max_ttl_seconds=7200))
        self.assertIn("once the link is opened", printed.text)
        self.assertFalse(log.exists(), "the browser was opened although open_browser=False")
        support.remember(result)

    def test_an_unknown_provider_is_refused_by_the_vault(self) -> None:
        with self.assertRaises(VaultError) as caught:
            support.vault().connect(providers=["nope"], timeout=5)
        self.assertEqual(caught.exception.code, "unknown_provider")
        self.assertEqual(caught.exception.status, 400)

    def test_ctrl_c_stops_waiting_cleanly(self) -> None:
        script = (
            "from grantvault import Vault\n"
            f"Vault().connect(providers=[{support.OIDC!r}], timeout=60, open_browser=False)\n"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", script],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        lines = []
        for line in child.stderr:
            lines.append(line)
            if line.startswith("Waiting for you"):
                break
        time.sleep(0.3)  # into the long-poll
        child.send_signal(signal.SIGINT)
        _, rest = child.communicate(timeout=10)
        output = "".join(lines) + rest
        self.assertNotEqual(child.returncode, 0)
        self.assertIn("Stopped waiting for the connection (interrupted).", output)
        self.assertIn("KeyboardInterrupt", output)
        self.assertNotIn("Exception in thread", output)
        self.assertNotIn("Exception ignored", output)
        self.assertNotIn("During handling of the above exception", output)
        self.assertNotIn(support.API_KEY, output)


if __name__ == "__main__":
    unittest.main()
