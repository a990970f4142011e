"""``VaultAdmin`` against the real admin routes, with the app's own key (``admin`` scope)."""

from __future__ import annotations

import unittest

import support
from grantvault import App, AppProvider, IdentityProvider, Vault, VaultAdmin, VaultError


def _document(provider_id: str, **extra: object) -> dict[str, object]:
    """A GitHub-like OAuth 2.0 provider on loopback (nobody connects to it)."""
    return {
        "id": provider_id,
        "type": "oauth2",
        "displayName": "Py Octo",
        "authorizationUrl": f"http://127.0.0.1:9/{provider_id}/authorize",
        "tokenUrl": f"http://127.0.0.1:9/{provider_id}/token",
        "userinfoUrl": f"http://127.0.0.1:9/{provider_id}/user",
        "scopes": ["repo"],
        "clientId": f"{provider_id}-client",
        "clientSecret": f"{provider_id}-client-secret-value",
        **extra,
    }


class VaultAdminTest(unittest.TestCase):
    def setUp(self) -> None:
        self.admin = VaultAdmin()  # GRANTVAULT_API_KEY and GRANTVAULT_URL, as Vault()
        self.app_id = support.vault().get_app().app_id

    def test_apps_list_get_and_update_the_keys_own_app(self) -> None:
        listed = self.admin.apps.list()
        self.assertEqual([app.app_id for app in listed], [self.app_id])
        app = self.admin.apps.get(self.app_id)
        self.assertIsInstance(app, App)
        self.assertEqual(app, listed[0])
        self.assertIsNotNone(app.created_at.tzinfo)
        renamed = self.admin.apps.update(self.app_id, name="renamed by python")
        try:
            self.assertEqual(renamed.name, "renamed by python")
            self.assertEqual(renamed.allowed_origins, app.allowed_origins)
        finally:
            self.assertEqual(self.admin.apps.update(self.app_id, name=app.name).name, app.name)
        with self.assertRaises(VaultError) as refused:
            self.admin.apps.create("another app")
        self.assertEqual(refused.exception.code, "insufficient_scope")

    def test_providers_lifecycle_never_returns_the_secret(self) -> None:
        vault = support.vault()
        created = self.admin.providers.create(self.app_id, _document("py-octo"))
        self.assertIsInstance(created, AppProvider)
        self.assertEqual(created.provider_id, "py-octo")
        self.assertTrue(created.enabled)
        self.assertTrue(created.redirect_uri.endswith("/v1/oauth/callback/py-octo"))
        self.assertNotIn("clientSecret", created.document)
        listed = self.admin.providers.list(self.app_id)
        self.assertNotIn("py-octo-client-secret-value", repr(listed))
        self.assertEqual(self.admin.providers.get(self.app_id, "py-octo"), created)
        self.assertIn("py-octo", [provider.id for provider in vault.list_providers()])

        updated = self.admin.providers.update(self.app_id, "py-octo", {"displayName": "Py Octo 2"})
        self.assertEqual(updated.document["displayName"], "Py Octo 2")
        self.assertFalse(self.admin.providers.disable(self.app_id, "py-octo").enabled)
        self.assertNotIn("py-octo", [provider.id for provider in vault.list_providers()])
        self.assertTrue(self.admin.providers.enable(self.app_id, "py-octo").enabled)

        without_secret = _document("py-octo", scopes=["repo", "read:user"])
        del without_secret["clientSecret"]
        replaced = self.admin.providers.replace(self.app_id, "py-octo", without_secret)
        self.assertEqual(replaced.document["scopes"], ["repo", "read:user"])

        self.admin.providers.delete(self.app_id, "py-octo")
        with self.assertRaises(VaultError) as gone:
            self.admin.providers.get(self.app_id, "py-octo")
        self.assertEqual(gone.exception.code, "not_found")

    def test_an_invalid_document_lists_every_problem(self) -> None:
        with self.assertRaises(VaultError) as invalid:
            self.admin.providers.create(
                self.app_id, {"id": "bad", "type": "oauth2", "clientId": ""}
            )
        self.assertEqual(invalid.exception.code, "invalid_request")
        self.assertGreaterEqual(len(invalid.exception.issues or []), 3)

    def test_identity_provider_get_and_update(self) -> None:
        current = self.admin.identity_provider.get(self.app_id)
        self.assertIsInstance(current, IdentityProvider)
        self.assertEqual(current.app_id, self.app_id)
        self.assertNotIn("clientSecret", current.document)
        name = current.document.get("displayName")
        changed = self.admin.identity_provider.update(self.app_id, {"displayName": "Py sign-in"})
        try:
            self.assertEqual(changed.document["displayName"], "Py sign-in")
        finally:
            restore = {"displayName": name} if name else {"displayName": "Test sign-in"}
            self.admin.identity_provider.update(self.app_id, restore)


class OperatorAdminTest(unittest.TestCase):
    def test_an_operator_creates_sets_up_disables_enables_and_deletes_an_app(self) -> None:
        operator = VaultAdmin(api_key=support.OPERATOR_KEY)
        origins = ["https://py.example.com"]
        created = operator.apps.create("py operator app", allowed_origins=origins)
        app_id = created.app.app_id
        try:
            self.assertEqual(created.app.allowed_origins, origins)
            self.assertIn("admin", created.api_key.scopes)
            self.assertNotIn(created.api_key.api_key, repr(created))
            self.assertIn(app_id, [app.app_id for app in operator.apps.list()])
            operator.providers.create(app_id, _document("py-ops"))
            client = Vault(api_key=created.api_key.api_key)
            self.assertIn("py-ops", [provider.id for provider in client.list_providers()])

            self.assertFalse(operator.apps.disable(app_id).enabled)
            with self.assertRaises(VaultError) as refused:
                client.get_app()
            self.assertEqual(refused.exception.code, "app_disabled")
            self.assertTrue(operator.apps.enable(app_id).enabled)
            self.assertEqual(client.get_app().app_id, app_id)
        finally:
            operator.apps.delete(app_id)
        with self.assertRaises(VaultError) as gone:
            operator.apps.get(app_id)
        self.assertEqual(gone.exception.code, "not_found")


if __name__ == "__main__":
    unittest.main()
