"""Identity end to end: ``authenticate()`` through the real sign-in page (headless Chromium driven
by the BROWSER script), user tokens checked by the vault against the identity provider's keys,
connect sessions for web apps within what the operator allowed, and grants bound to a user."""

from __future__ import annotations

import asyncio
import contextvars
import re
import time
import unittest

import support
from grantvault import (
    AsyncVault,
    AuthResult,
    ConnectSession,
    ConnectTimeoutError,
    GrantNotFoundError,
    GrantPolicy,
    InvalidUserTokenError,
    PolicyViolationError,
    Vault,
    VaultValueError,
)

USER_URL = f"{support.API_URL}/user"


def another_port(origin: str) -> str:
    """``http://127.0.0.1:8000`` → ``http://127.0.0.1:8001``."""
    host, port = origin.rsplit(":", 1)
    return f"{host}:{int(port) + 1}"


class AuthenticateTest(unittest.TestCase):
    def test_signs_in_through_the_browser_and_returns_the_user_token(self) -> None:
        log = support.browser_will("approve", support.IDENTITY, "alice")
        vault = support.vault()
        with support.watched_stderr() as printed:
            result = vault.authenticate(timeout=60)
        self.assertIsInstance(result, AuthResult)
        self.assertEqual(len(result.user_token.split(".")), 3)
        self.assertEqual(result.user_info["sub"], "alice")
        self.assertEqual(result.user_info["email"], "alice@example.test")
        self.assertEqual(vault.verify_user_token(result.user_token), "alice")
        # A bearer credential: not in the repr, nor in what was printed.
        self.assertFalse(result.user_token in repr(result) or result.user_token in str(result))
        self.assertIn("user_info=", repr(result))
        self.assertFalse(result.user_token in printed.text)
        self.assertRegex(
            printed.text,
            r"To sign in, open this link in your browser:\n\n  http://\S+/connect/gvcs_",
        )
        code = re.search(r"Confirmation code: ([A-Z2-9]{4}-[A-Z2-9]{4})", printed.text)
        assert code is not None
        self.assertIn("in the browser that just opened", printed.text)
        # The sign-in page showed the same code; the browser script then reached the result page.
        self.assertIn(code.group(1), support.wait_for_text(log, "result: success"))
        # A real ID token binds a connect session to its user like any other user token.
        session = vault.create_connect_session(
            allowed_providers=[support.OAUTH2], user_token=result.user_token
        )
        self.assertRegex(session.session_id, r"^cs_[0-9a-f]{24}$")

    def test_times_out_when_the_user_never_signs_in(self) -> None:
        support.browser_will("ignore", support.IDENTITY)

        async def main() -> None:
            async with AsyncVault() as vault:
                with support.watched_stderr() as printed:
                    await vault.authenticate(timeout=1, poll_interval=0.2)
            self.fail(f"authenticate() returned; printed:\n{printed.text}")

        started = time.monotonic()
        with self.assertRaises(ConnectTimeoutError) as caught:
            asyncio.run(main())
        self.assertGreaterEqual(time.monotonic() - started, 0.95)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual(caught.exception.code, "connect_timeout")
        self.assertIn("signing in", caught.exception.message)
        self.assertRegex(caught.exception.details["session_id"], r"^cs_")


class UserTokenTest(unittest.TestCase):
    def test_verify_user_token(self) -> None:
        vault = support.vault()
        self.assertEqual(vault.verify_user_token(support.ALICE_TOKEN), "alice")
        self.assertEqual(vault.verify_user_token(support.BOB_TOKEN), "bob")
        for name, token in (
            ("wrong audience", support.WRONG_AUDIENCE_TOKEN),
            ("expired", support.EXPIRED_TOKEN),
            ("not a JWT", "not-a-jwt"),
            ("tampered", support.ALICE_TOKEN[:-4] + "AAAA"),
        ):
            with self.subTest(token=name):
                self.assertIsNone(vault.verify_user_token(token))
        with self.assertRaises(VaultValueError):
            vault.verify_user_token("")

        async def verify() -> str | None:
            async with AsyncVault() as vault:
                return await vault.verify_user_token(support.BOB_TOKEN)

        self.assertEqual(asyncio.run(verify()), "bob")


class ConnectSessionTest(unittest.TestCase):
    def test_creates_a_session_within_what_the_operator_allowed(self) -> None:
        session = support.vault().create_connect_session(
            allowed_providers=[support.OAUTH2],
            return_url=f"{support.ALLOWED_ORIGIN}/done",
            allowed_origin=support.ALLOWED_ORIGIN,
            grant_policy=GrantPolicy(max_ttl_seconds=3600),
            required_scopes={support.OAUTH2: ["repo"]},
            metadata={"ticket": "T-42"},
            user_token=support.ALICE_TOKEN,
        )
        self.assertIsInstance(session, ConnectSession)
        self.assertRegex(session.session_id, r"^cs_[0-9a-f]{24}$")
        self.assertTrue(session.session_token.startswith("gvcs_"))
        self.assertEqual(session.connect_url, f"{support.BASE_URL}/connect/{session.session_token}")
        self.assertRegex(session.confirmation_code, r"^[A-Z2-9]{4}-[A-Z2-9]{4}$")
        self.assertGreater(session.expires_at.timestamp(), time.time())
        self.assertFalse(session.session_token in repr(session))
        self.assertIn(session.session_id, repr(session))

    def test_refuses_origins_and_scopes_the_operator_did_not_allow(self) -> None:
        vault = support.vault()
        for kwargs, code in (
            ({"allowed_origin": "https://evil.example"}, "origin_not_allowed"),
            ({"return_url": "https://evil.example/steal"}, "origin_not_allowed"),
            # Same host, another port: another origin.
            ({"return_url": f"{another_port(support.ALLOWED_ORIGIN)}/back"}, "origin_not_allowed"),
            ({"required_scopes": {support.OAUTH2: ["repo", "admin:org"]}}, "scope_not_allowed"),
        ):
            with self.subTest(**kwargs), self.assertRaises(PolicyViolationError) as caught:
                vault.create_connect_session(allowed_providers=[support.OAUTH2], **kwargs)
            self.assertEqual(caught.exception.code, code)

        async def refused() -> None:
            async with AsyncVault() as vault:
                await vault.create_connect_session(allowed_origin="https://evil.example")

        with self.assertRaises(PolicyViolationError):
            asyncio.run(refused())

    def test_refuses_a_user_token_that_does_not_verify(self) -> None:
        for token in (support.WRONG_AUDIENCE_TOKEN, support.EXPIRED_TOKEN):
            with self.assertRaises(InvalidUserTokenError) as caught:
                support.vault().create_connect_session(user_token=token)
            self.assertEqual(caught.exception.code, "invalid_user_token")
            self.assertFalse(token in str(caught.exception.to_dict()))


class UserBoundGrantTest(unittest.TestCase):
    """alice connects her ``alice-octo`` account through a session created with her user token."""

    grant_id: str

    @classmethod
    def setUpClass(cls) -> None:
        vault = support.vault()
        session = vault.create_connect_session(
            allowed_providers=[support.OAUTH2], user_token=support.ALICE_TOKEN
        )
        support.drive_to_the_end(session.connect_url, support.OAUTH2, "alice-octo")
        [grant] = vault.list_grants(
            provider_id=support.OAUTH2, account_identifier="alice-octo"
        ).grants
        cls.grant_id = grant.grant_id

    def test_calls_by_provider_and_user_token(self) -> None:
        vault = support.vault()
        response = vault.request(
            "GET", USER_URL, provider=support.OAUTH2, user_token=support.ALICE_TOKEN
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["login"], "alice-octo")
        proxied = vault.proxy_request(
            "GET", USER_URL, provider=support.OAUTH2, user_token=support.ALICE_TOKEN
        )
        self.assertEqual(proxied.json()["login"], "alice-octo")
        # The owner may also name the grant by id.
        by_id = vault.request(
            "GET", USER_URL, grant_id=self.grant_id, user_token=support.ALICE_TOKEN
        )
        self.assertEqual(by_id.json()["login"], "alice-octo")
        named = vault.request(
            "GET",
            USER_URL,
            provider=support.OAUTH2,
            account="alice-octo",
            user_token=support.ALICE_TOKEN,
        )
        self.assertEqual(named.status_code, 200)

    def test_takes_the_user_from_the_user_token_getter(self) -> None:
        per_request = Vault(user_token_getter=lambda: support.ALICE_TOKEN)
        response = per_request.request("GET", USER_URL, provider=support.OAUTH2)
        self.assertEqual(response.json()["login"], "alice-octo")

        # In an asyncio web app the current user lives in a context variable of the task.
        current_user: contextvars.ContextVar[str | None] = contextvars.ContextVar("user")

        async def token_of_this_task() -> str | None:
            return current_user.get(None)

        async def handle(token: str) -> int:
            current_user.set(token)
            async with AsyncVault(user_token_getter=token_of_this_task) as vault:
                answer = await vault.proxy_request("GET", USER_URL, provider=support.OAUTH2)
                return answer.status_code

        async def main() -> list[object]:
            return await asyncio.gather(
                handle(support.ALICE_TOKEN), handle(support.BOB_TOKEN), return_exceptions=True
            )

        alice, bob = asyncio.run(main())
        self.assertEqual(alice, 200)
        self.assertIsInstance(bob, GrantNotFoundError)

    def test_f6_refuses_the_grant_by_id_without_its_users_token(self) -> None:
        vault = support.vault()
        for call in (vault.request, vault.proxy_request):
            with self.assertRaises(PolicyViolationError) as caught:
                call("GET", USER_URL, grant_id=self.grant_id)
            self.assertEqual(caught.exception.code, "user_token_required")

    def test_f6_sends_the_getters_token_with_a_grant_id(self) -> None:
        as_alice = Vault(user_token_getter=lambda: support.ALICE_TOKEN)
        as_bob = Vault(user_token_getter=lambda: support.BOB_TOKEN)
        for mode in ("request", "proxy_request"):
            answer = getattr(as_alice, mode)("GET", USER_URL, grant_id=self.grant_id)
            self.assertEqual(answer.json()["login"], "alice-octo")
            # bob's token went along: the vault judged alice's grant as not his.
            with self.assertRaises(GrantNotFoundError):
                getattr(as_bob, mode)("GET", USER_URL, grant_id=self.grant_id)
        # No user signed in: no token is sent, and the vault asks for one.
        with self.assertRaises(PolicyViolationError):
            Vault(user_token_getter=lambda: None).request("GET", USER_URL, grant_id=self.grant_id)

        async def alice() -> str:
            return support.ALICE_TOKEN

        async def main() -> list[int]:
            async with AsyncVault(user_token_getter=alice) as vault:
                retrieved = await vault.request("GET", USER_URL, grant_id=self.grant_id)
                proxied = await vault.proxy_request("GET", USER_URL, grant_id=self.grant_id)
                return [retrieved.status_code, proxied.status_code]

        self.assertEqual(asyncio.run(main()), [200, 200])

    def test_refuses_another_users_token_by_provider_and_by_grant_id(self) -> None:
        vault = support.vault()
        with self.assertRaises(GrantNotFoundError):
            vault.request("GET", USER_URL, provider=support.OAUTH2, user_token=support.BOB_TOKEN)
        with self.assertRaises(GrantNotFoundError):
            vault.request("GET", USER_URL, grant_id=self.grant_id, user_token=support.BOB_TOKEN)
        with self.assertRaises(GrantNotFoundError):
            vault.proxy_request(
                "GET", USER_URL, grant_id=self.grant_id, user_token=support.BOB_TOKEN
            )
        with self.assertRaises(InvalidUserTokenError):
            vault.request(
                "GET", USER_URL, provider=support.OAUTH2, user_token=support.EXPIRED_TOKEN
            )
        # No user at all: refused before any network call.
        with self.assertRaises(VaultValueError):
            vault.request("GET", USER_URL, provider=support.OAUTH2)


if __name__ == "__main__":
    unittest.main()
