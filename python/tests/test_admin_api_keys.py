"""``VaultAdmin.api_keys`` against the real API-key admin routes, with the app's admin key."""

from __future__ import annotations

import datetime
import unittest

import support
from grantvault import (
    ApiKey,
    AuthenticationError,
    CreatedApiKey,
    InsufficientScopeError,
    Vault,
    VaultAdmin,
    VaultError,
)


class ApiKeysAdminTest(unittest.TestCase):
    def setUp(self) -> None:
        self.admin = VaultAdmin()
        self.app_id = support.vault().get_app().app_id

    def test_create_list_get_update_disable_enable_delete(self) -> None:
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
        created = self.admin.api_keys.create(
            self.app_id, name="py worker", scopes=["read"], expires_at=expires
        )
        self.assertIsInstance(created, CreatedApiKey)
        self.assertEqual(
            (created.app_id, created.name, created.scopes), (self.app_id, "py worker", ["read"])
        )
        self.assertNotIn(created.api_key, repr(created))
        self.assertIsNotNone(created.expires_at)

        listed = self.admin.api_keys.list(self.app_id)
        self.assertIn(created.api_key_id, [key.api_key_id for key in listed])
        self.assertNotIn(created.api_key, repr(listed))
        shown = self.admin.api_keys.get(self.app_id, created.api_key_id)
        self.assertIsInstance(shown, ApiKey)
        self.assertEqual((shown.status, shown.prefix), ("active", created.prefix))

        worker = Vault(api_key=created.api_key)
        worker.list_grants(limit=1)
        renamed = self.admin.api_keys.update(
            self.app_id, created.api_key_id, name="py reader", expires_at=None
        )
        self.assertEqual((renamed.name, renamed.expires_at), ("py reader", None))

        disabled_key = self.admin.api_keys.disable(self.app_id, created.api_key_id)
        self.assertEqual(disabled_key.status, "disabled")
        with self.assertRaises(AuthenticationError) as disabled:
            worker.list_grants(limit=1)
        self.assertEqual(disabled.exception.code, "api_key_disabled")
        enabled_key = self.admin.api_keys.enable(self.app_id, created.api_key_id)
        self.assertEqual(enabled_key.status, "active")
        worker.list_grants(limit=1)

        self.admin.api_keys.delete(self.app_id, created.api_key_id)
        with self.assertRaises(AuthenticationError):
            worker.list_grants(limit=1)
        self.assertEqual(self.admin.api_keys.get(self.app_id, created.api_key_id).status, "revoked")

    def test_a_key_without_admin_raises_insufficient_scope_error(self) -> None:
        reader = self.admin.api_keys.create(self.app_id, name="py no admin", scopes=["read"])
        try:
            with self.assertRaises(InsufficientScopeError):
                VaultAdmin(api_key=reader.api_key).api_keys.list(self.app_id)
            with self.assertRaises(VaultError) as bad_id:
                self.admin.api_keys.get(self.app_id, reader.api_key)
            self.assertNotIn(reader.api_key, str(bad_id.exception))
        finally:
            self.admin.api_keys.delete(self.app_id, reader.api_key_id)


if __name__ == "__main__":
    unittest.main()
