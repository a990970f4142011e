"""Tokens never reach user code, and the API key never shows: reprs, errors, object graphs."""

from __future__ import annotations

import asyncio
import gc
import pickle
import unittest
from typing import Any

import support
from grantvault import AsyncVault, NetworkError, Vault, VaultError


def shown(value: object) -> str:
    """Everything a person could see of ``value`` printed: its repr and str."""
    return f"{value!r}\n{value!s}"


def reachable_strings(root: object, limit: int = 4) -> list[str]:
    """Every string reachable from ``root`` through attributes, slots and containers."""
    found: list[str] = []
    seen: set[int] = set()

    def walk(value: object, depth: int) -> None:
        if id(value) in seen or depth > limit:
            return
        seen.add(id(value))
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (bytes, int, float, bool, type(None))):
            return
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, depth + 1)
                walk(item, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                walk(item, depth + 1)
        else:
            for name in getattr(value, "__dict__", {}):
                walk(getattr(value, name), depth + 1)
            for cls in type(value).__mro__:
                for name in getattr(cls, "__slots__", ()):
                    if hasattr(value, name):
                        walk(getattr(value, name), depth + 1)

    walk(root, 0)
    return found


def containers_holding(secret: str) -> list[str]:
    """Types of the live dicts, lists, tuples and sets anywhere in the process that hold
    ``secret`` (after a garbage collection)."""
    gc.collect()
    holders = []
    for obj in gc.get_objects():
        values: Any
        if isinstance(obj, dict):
            values = [*obj.keys(), *obj.values()]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            values = obj
        else:
            continue
        if any(isinstance(item, str) and secret in item for item in values):
            holders.append(type(obj).__name__)
    return holders


class SecretHygieneTest(unittest.TestCase):
    def assert_hidden(self, value: object, *secrets: str) -> None:
        text = shown(value)
        for secret in secrets:
            # assertNotIn would print the secret on failure: compare without echoing it.
            self.assertFalse(secret in text, f"a secret shows in {type(value).__name__}")

    def test_the_token_lives_only_inside_the_call(self) -> None:
        vault = Vault(api_key=support.API_KEY)
        grant = support.shared_grant(support.OAUTH2)
        response = vault.request("GET", f"{support.API_URL}/echo", grant_id=grant.grant_id)
        # The echo API reflects the headers it received: that is how this test learns the token.
        token = response.json()["headers"]["authorization"].split(" ", 1)[1]
        self.assertGreater(len(token), 10)
        self.assertEqual(containers_holding(token), [], "the token outlived the call")
        for value in (
            vault,
            response,
            response.headers,
            grant,
            vault.get_grant(grant.grant_id),
            vault.list_grants(),
            vault.list_audit_events(limit=20),
            vault.get_app(),
        ):
            self.assert_hidden(value, support.API_KEY, token)
        for name in ("status_code", "reason", "headers", "url"):
            self.assert_hidden(getattr(response, name), token)
        self.assertFalse(
            any(token in text for text in reachable_strings(vault)), "the vault holds a token"
        )
        self.assertFalse(
            any(support.API_KEY in text or token in text for text in reachable_strings(response)),
            "the response holds a secret",
        )
        proxied = vault.proxy_request("GET", f"{support.API_URL}/user", grant_id=grant.grant_id)
        self.assert_hidden(proxied, support.API_KEY)
        self.assertFalse(any(support.API_KEY in text for text in reachable_strings(proxied)))
        del token

    def test_the_api_key_never_shows(self) -> None:
        vault = Vault(api_key=support.API_KEY)
        async_vault = AsyncVault(api_key=support.API_KEY)
        for value in (vault, async_vault, vars(vault), vars(async_vault), vault._http):
            self.assert_hidden(value, support.API_KEY)
        with self.assertRaises(TypeError):
            pickle.dumps(vault)
        asyncio.run(async_vault.aclose())

    def test_errors_carry_no_secret(self) -> None:
        wrong_key = "gv_live_" + "Z" * 43
        errors: list[VaultError] = []
        for attempt in (
            lambda: Vault(api_key=wrong_key).get_app(),
            lambda: Vault(api_key=support.API_KEY, base_url="http://127.0.0.1:1").get_app(),
            lambda: Vault(api_key=support.API_KEY).get_grant("grant_000000000000000000000000"),
            lambda: Vault(api_key=support.API_KEY).request(
                "GET", "https://elsewhere.example/", grant_id="grant_000000000000000000000000"
            ),
        ):
            with self.assertRaises(VaultError) as caught:
                attempt()
            errors.append(caught.exception)
        self.assertIsInstance(errors[1], NetworkError)
        self.assertIsNone(errors[1].__context__)  # no chain into frames that held the key
        for error in errors:
            for text in (
                shown(error),
                repr(error.details),
                repr(error.to_dict()),
                repr(error.args),
            ):
                self.assertFalse(support.API_KEY in text, f"the API key shows in {error!r}")
                self.assertFalse(wrong_key in text, f"the key shows in {error!r}")
            self.assertIsNone(error.__cause__)
            restored = pickle.loads(pickle.dumps(error))
            self.assertEqual((type(restored), restored.code), (type(error), error.code))


if __name__ == "__main__":
    unittest.main()
