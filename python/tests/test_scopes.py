"""Scoped and expiring API keys (issue 15) against the real vault."""

from __future__ import annotations

import datetime
import json
import time
import unittest
import urllib.request

import support
from grantvault import (
    AuthenticationError,
    InsufficientScopeError,
    PolicyViolationError,
    Vault,
)


def _mint_key(body: dict[str, object]) -> str:
    """Another key of the test app, minted with the test's admin key (``POST /v1/api-keys``)."""
    request = urllib.request.Request(
        f"{support.BASE_URL}/v1/api-keys",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "authorization": f"Bearer {support.API_KEY}",
            "content-type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        key = json.load(response)["api_key"]
    assert isinstance(key, str)
    return key


class ScopesTest(unittest.TestCase):
    def test_a_key_without_the_scope_raises_insufficient_scope_error(self) -> None:
        reader = Vault(api_key=_mint_key({"name": "py reader", "scopes": ["read"]}))
        reader.list_grants(limit=1)
        with self.assertRaises(InsufficientScopeError) as caught:
            reader.create_connect_session(allowed_providers=[support.OIDC])
        self.assertIsInstance(caught.exception, PolicyViolationError)
        refused = caught.exception
        self.assertEqual((refused.code, refused.status), ("insufficient_scope", 403))
        self.assertIn("`connect`", str(caught.exception))

    def test_an_expired_key_raises_authentication_error(self) -> None:
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
        body = {"name": "py short", "scopes": ["read"], "expires_at": expires.isoformat()}
        short = Vault(api_key=_mint_key(body))
        short.get_app()
        left = expires - datetime.datetime.now(datetime.timezone.utc)
        time.sleep(max(0.0, left.total_seconds()) + 0.2)
        with self.assertRaises(AuthenticationError) as caught:
            short.get_app()
        expired = caught.exception
        self.assertEqual((expired.code, expired.status), ("api_key_expired", 401))


if __name__ == "__main__":
    unittest.main()
