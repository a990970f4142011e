"""``AsyncVault`` end to end: the same flows as coroutines, and a cancellable ``connect()``."""

from __future__ import annotations

import asyncio
import inspect
import time
import unittest

import support
from grantvault import AsyncVault, GrantNotFoundError, HostNotAllowedError


class AsyncVaultTest(unittest.TestCase):
    def test_connect_request_and_grants(self) -> None:
        async def main() -> None:
            support.browser_will("approve", support.OIDC, "ivy")
            async with AsyncVault() as vault:
                with support.watched_stderr() as printed:
                    [grant] = await vault.connect(providers=[support.OIDC], timeout=60)
                self.assertIn("Confirmation code:", printed.text)
                self.assertEqual(grant.account_identifier, "ivy@example.test")
                # Several calls at once: each runs in its own worker thread.
                user, proxied, page, app = await asyncio.gather(
                    vault.request("GET", f"{support.API_URL}/user", grant_id=grant.grant_id),
                    vault.proxy_request("GET", f"{support.API_URL}/user", grant_id=grant.grant_id),
                    vault.list_grants(provider_id=support.OIDC),
                    vault.get_app(),
                )
                self.assertEqual(user.status_code, 200)
                self.assertEqual(user.json()["login"], "ivy")
                self.assertEqual(proxied.json()["login"], "ivy")
                self.assertIn(grant.grant_id, [g.grant_id for g in page.grants])
                self.assertTrue(app.app_id.startswith("app_"))
                self.assertEqual((await vault.get_grant(grant.grant_id)).status, "active")
                events = await vault.list_audit_events(grant_id=grant.grant_id)
                self.assertIn("request.proxied", [event.type for event in events.events])
                with self.assertRaises(HostNotAllowedError):
                    await vault.request(
                        "GET", "https://elsewhere.example/", grant_id=grant.grant_id
                    )
                revoked = await vault.revoke_grant(grant.grant_id, reason="async test")
                self.assertEqual(revoked.status, "revoked")
                with self.assertRaises(GrantNotFoundError):
                    await vault.get_grant("grant_000000000000000000000000")

        asyncio.run(main())

    def test_every_method_is_a_coroutine(self) -> None:
        for name in (
            "connect",
            "request",
            "proxy_request",
            "list_grants",
            "get_grant",
            "revoke_grant",
            "list_audit_events",
            "get_app",
            "authenticate",
            "create_connect_session",
            "verify_user_token",
        ):
            with self.subTest(name=name):
                self.assertTrue(inspect.iscoroutinefunction(getattr(AsyncVault, name)))

    def test_cancelling_connect_stops_waiting_at_once(self) -> None:
        async def main() -> float:
            vault = AsyncVault()
            with support.watched_stderr() as printed:
                task = asyncio.create_task(
                    vault.connect(providers=[support.OIDC], timeout=60, open_browser=False)
                )
                while "Waiting for you" not in printed.text:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)  # inside the long-poll
                cancelled_at = time.monotonic()
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
            return cancelled_at

        cancelled_at = asyncio.run(main())
        # asyncio.run() waits for its worker threads: a long-poll still running would hold it
        # for up to 25 seconds.
        self.assertLess(time.monotonic() - cancelled_at, 3.0)


if __name__ == "__main__":
    unittest.main()
