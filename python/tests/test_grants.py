"""Grant management and the audit log against the real vault."""

from __future__ import annotations

import datetime
import unittest

import support
from grantvault import (
    AppInfo,
    AuthenticationError,
    Grant,
    GrantNotFoundError,
    GrantRevokedError,
    ReAuthRequiredError,
    Vault,
    VaultValueError,
)


class GrantsTest(unittest.TestCase):
    def test_list_get_and_revoke(self) -> None:
        vault = support.vault()
        connected = support.shared_grant(support.OIDC, "carol")
        grant_id = connected.grant_id
        support.shared_grant(support.OAUTH2)  # at least two grants, for paging

        grant = vault.get_grant(grant_id)
        self.assertIsInstance(grant, Grant)
        self.assertEqual(grant.grant_id, grant_id)
        self.assertEqual(grant.provider_id, support.OIDC)
        self.assertEqual(grant.account_identifier, connected.account_identifier)
        self.assertEqual(grant.status, "active")
        self.assertIsNone(grant.status_reason)
        self.assertIsInstance(grant.created_at, datetime.datetime)
        self.assertIsNotNone(grant.created_at.tzinfo)

        page = vault.list_grants(
            provider_id=support.OIDC, account_identifier=connected.account_identifier
        )
        self.assertEqual([g.grant_id for g in page.grants], [grant_id])
        first = vault.list_grants(limit=1)
        self.assertEqual(len(first.grants), 1)
        self.assertIsNotNone(first.next_cursor)
        second = vault.list_grants(limit=1, cursor=first.next_cursor)
        self.assertNotEqual(second.grants[0].grant_id, first.grants[0].grant_id)

        support.forget(grant_id)
        revoked = vault.revoke_grant(grant_id, reason="lost laptop")
        self.assertEqual(revoked.status, "revoked")
        self.assertEqual(vault.get_grant(grant_id).status, "revoked")
        self.assertIn(grant_id, [g.grant_id for g in vault.list_grants(status="revoked").grants])
        with self.assertRaises(GrantRevokedError) as caught:
            vault.request("GET", f"{support.API_URL}/user", grant_id=grant_id)
        self.assertIsInstance(caught.exception, ReAuthRequiredError)
        self.assertEqual(caught.exception.code, "grant_revoked")

        # Newest first (a grant connected again after a revocation keeps its id and history).
        events = vault.list_audit_events(type="grant.revoked", grant_id=grant_id).events
        self.assertEqual(events[0].reason, "lost laptop")
        self.assertEqual(events[0].outcome, "ok")
        self.assertEqual(len(events[0].hash), len(events[0].prev_hash))

    def test_unknown_grants_and_bad_ids(self) -> None:
        vault = support.vault()
        with self.assertRaises(GrantNotFoundError) as caught:
            vault.get_grant("grant_000000000000000000000000")
        self.assertEqual((caught.exception.code, caught.exception.status), ("grant_not_found", 404))
        with self.assertRaises(GrantNotFoundError):
            vault.revoke_grant("grant_000000000000000000000000")
        with self.assertRaises(VaultValueError):
            vault.get_grant("../app")

    def test_invalid_input_lists_the_issues(self) -> None:
        with self.assertRaises(Exception) as caught:
            support.vault().list_grants(limit=1000)
        error = caught.exception
        self.assertEqual(getattr(error, "code", None), "invalid_request")
        issues = error.details["issues"]  # type: ignore[attr-defined]
        self.assertEqual([issue["path"] for issue in issues], ["limit"])

    def test_get_app_and_a_wrong_key(self) -> None:
        app = support.vault().get_app()
        self.assertIsInstance(app, AppInfo)
        self.assertTrue(app.app_id.startswith("app_"))
        self.assertTrue(support.API_KEY.startswith(app.api_key_prefix))
        self.assertNotEqual(app.api_key_prefix, support.API_KEY)
        with self.assertRaises(AuthenticationError) as caught:
            Vault(api_key="gv_live_not-a-real-key").get_app()
        self.assertEqual(caught.exception.code, "invalid_api_key")
        self.assertEqual(caught.exception.status, 401)


if __name__ == "__main__":
    unittest.main()
