"""Discovery: the providers the app may offer, against the real vault."""

from __future__ import annotations

import asyncio
import unittest

import support
from grantvault import AsyncVault, OfferedProvider


class ListProvidersTest(unittest.TestCase):
    def test_lists_the_apps_providers_typed(self) -> None:
        providers = support.vault().list_providers()
        self.assertTrue(all(isinstance(provider, OfferedProvider) for provider in providers))
        by_id = {provider.id: provider for provider in providers}
        self.assertIn(support.OIDC, by_id)
        self.assertIn(support.OAUTH2, by_id)
        oauth2 = by_id[support.OAUTH2]
        self.assertEqual(oauth2.kind, "oauth2")
        self.assertEqual(oauth2.display_name, "Octo (GitHub-like)")
        self.assertEqual(oauth2.scopes, ["repo", "read:user"])
        self.assertEqual(oauth2.parameters, [])
        self.assertEqual(by_id[support.OIDC].kind, "oidc")
        # What a user is shown, never the OAuth client.
        self.assertNotIn("client", repr(providers).lower())

    def test_async_lists_the_same(self) -> None:
        async def listed() -> list[OfferedProvider]:
            async with AsyncVault() as vault:
                return await vault.list_providers()

        self.assertEqual(asyncio.run(listed()), support.vault().list_providers())


if __name__ == "__main__":
    unittest.main()
