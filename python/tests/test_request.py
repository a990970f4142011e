"""``request()`` (retrieve mode) and ``proxy_request()`` against the real vault, OAuth provider and
a resource API that checks every token with the provider (introspection)."""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import threading
import time
import unittest
import urllib.parse

import support
from grantvault import (
    HostNotAllowedError,
    Response,
    RetryInfo,
    Vault,
    VaultValueError,
)


def digest(secret: str) -> str:
    """Compares tokens without ever printing one (assertion messages show digests only)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def status_with(token: str, url: str) -> int:
    """Calls the resource API directly with ``token`` (as an attacker holding an old one would)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path, headers={"authorization": token})
        return connection.getresponse().status
    finally:
        connection.close()


class RequestTest(unittest.TestCase):
    vault: Vault
    grant_id: str
    login: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.vault = support.vault()
        grant = support.shared_grant(support.OAUTH2)
        cls.grant_id = grant.grant_id
        cls.login = grant.account_identifier  # octo's accounts are login names

    def test_calls_the_api_with_the_credential_injected_and_never_the_api_key(self) -> None:
        response = self.vault.request(
            "GET",
            f"{support.API_URL}/{{what}}",
            grant_id=self.grant_id,
            path_params={"what": "user"},
            reason="show the profile",
            context={"job": "python-test", "attempt": 1},
        )
        self.assertIsInstance(response, Response)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.ok)
        self.assertEqual(response.json()["login"], self.login)
        self.assertIn("application/json", response.headers["Content-Type"])
        self.assertEqual(response.url, f"{support.API_URL}/user")
        echoed = self.vault.request("GET", f"{support.API_URL}/echo", grant_id=self.grant_id)
        headers = echoed.json()["headers"]
        self.assertRegex(headers["authorization"], r"^Bearer \S+$")
        self.assertNotIn(support.API_KEY, json.dumps(headers))
        self.assertRegex(headers["user-agent"], r"^grantvault-python/\d+\.\d+\.\d+")
        events = self.vault.list_audit_events(type="credential.retrieved", grant_id=self.grant_id)
        reasons = [event.reason for event in events.events]
        self.assertIn("show the profile", reasons)

    def test_fills_path_params_encoded_appends_query_params_and_sends_json(self) -> None:
        response = self.vault.request(
            "post",
            f"{support.API_URL}/echo/{{name}}",
            grant_id=self.grant_id,
            path_params={"name": "a b/c"},
            query_params={"page": 2, "tag": ["x", "y"], "skip": None, "flag": True},
            json={"hello": "world"},
            extra_headers={"X-Trace": "t-1"},
        )
        echoed = response.json()
        self.assertEqual(echoed["method"], "POST")
        self.assertEqual(echoed["path"], "/echo/a%20b%2Fc")
        self.assertEqual(echoed["query"], {"page": "2", "tag": ["x", "y"], "flag": "true"})
        self.assertEqual(json.loads(echoed["body"]), {"hello": "world"})
        self.assertEqual(echoed["headers"]["x-trace"], "t-1")
        self.assertEqual(echoed["headers"]["content-type"], "application/json")

    def test_refreshes_the_expired_token(self) -> None:
        first = self.vault.request("GET", f"{support.API_URL}/echo", grant_id=self.grant_id)
        old_token = first.json()["headers"]["authorization"]
        # Let that token expire at the provider (the harness issues tokens for a few seconds).
        time.sleep(support.TOKEN_TTL + 1.5)
        self.assertEqual(status_with(old_token, f"{support.API_URL}/user"), 401)
        response = self.vault.request("GET", f"{support.API_URL}/echo", grant_id=self.grant_id)
        self.assertEqual(response.status_code, 200, "the vault did not refresh the token")
        # The vault says it refreshed the token for this call (tokens here live a few seconds).
        self.assertEqual(response.retry_info, RetryInfo(refresh_attempts=1))
        new_token = response.json()["headers"]["authorization"]
        self.assertNotEqual(digest(new_token), digest(old_token))
        del old_token, new_token

    def test_refuses_hosts_outside_the_providers_api_before_handing_out_a_token(self) -> None:
        hits: list[str] = []

        class Trap(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        trap = http.server.HTTPServer(("127.0.0.1", 0), Trap)
        threading.Thread(target=trap.serve_forever, daemon=True).start()
        try:
            port = trap.server_address[1]
            for url in (
                f"http://127.0.0.1:{port}/collect",
                support.API_URL.replace("127.0.0.1", "localhost") + "/user",
                "https://attacker.example/steal",
            ):
                with self.subTest(url=url), self.assertRaises(HostNotAllowedError) as caught:
                    self.vault.request("GET", url, grant_id=self.grant_id)
                self.assertEqual(caught.exception.code, "host_not_allowed")
                self.assertEqual(caught.exception.status, 403)
            with self.assertRaises(HostNotAllowedError):
                self.vault.proxy_request(
                    "GET", f"http://127.0.0.1:{port}/x", grant_id=self.grant_id
                )
            self.assertEqual(hits, [])
        finally:
            trap.shutdown()
            trap.server_close()
        refused = self.vault.list_audit_events(type="credential.refused", grant_id=self.grant_id)
        self.assertGreaterEqual(len(refused.events), 3)

    def test_refuses_caller_credentials_headers_before_any_network_call(self) -> None:
        offline = Vault(api_key="gv_live_offline", base_url="http://127.0.0.1:1")
        for name in ("Authorization", "cookie", "X-Api-Key", "Proxy-Authorization"):
            for method in (offline.request, offline.proxy_request):
                with self.subTest(name=name), self.assertRaises(VaultValueError):
                    method(
                        "GET",
                        f"{support.API_URL}/user",
                        grant_id=self.grant_id,
                        extra_headers={name: "Bearer mine"},
                    )
        with self.assertRaises(VaultValueError):
            offline.request("GET", f"{support.API_URL}/user")  # no grant id
        with self.assertRaises(VaultValueError):
            offline.request("GET", f"{support.API_URL}/{{id}}", grant_id=self.grant_id)

    def test_proxy_mode_the_vault_makes_the_call(self) -> None:
        user = self.vault.proxy_request(
            "GET", f"{support.API_URL}/user", grant_id=self.grant_id, reason="proxy"
        )
        self.assertEqual(user.status_code, 200)
        self.assertEqual(user.json()["login"], self.login)
        self.assertEqual(user.headers["grantvault-proxied"], "1")

        echoed = self.vault.proxy_request(
            "PUT",
            f"{support.API_URL}/echo/{{id}}",
            grant_id=self.grant_id,
            path_params={"id": "42"},
            query_params={"q": "a b"},
            json={"big": "x" * 100_000},
            extra_headers={"x-trace": "p-1"},
            context={"job": "proxy-test"},
        ).json()
        self.assertEqual(echoed["method"], "PUT")
        self.assertEqual(echoed["path"], "/echo/42")
        self.assertEqual(echoed["query"], {"q": "a b"})
        self.assertEqual(len(json.loads(echoed["body"])["big"]), 100_000)
        self.assertEqual(echoed["headers"]["x-trace"], "p-1")
        self.assertRegex(echoed["headers"]["user-agent"], r"^grantvault-python/")
        self.assertEqual(echoed["headers"]["content-type"], "application/json")
        self.assertRegex(echoed["headers"]["authorization"], r"^Bearer ")
        self.assertNotIn(support.API_KEY, json.dumps(echoed["headers"]))

        missing = self.vault.proxy_request(
            "GET", f"{support.API_URL}/nothing", grant_id=self.grant_id
        )
        self.assertEqual(missing.status_code, 404)
        self.assertEqual(missing.json(), {"message": "Not Found"})

        events = self.vault.list_audit_events(type="request.proxied", grant_id=self.grant_id)
        self.assertEqual(events.events[0].details["path"], "/nothing")
        self.assertEqual(events.events[0].details["status"], 404)
        self.assertEqual(events.events[1].context, {"job": "proxy-test"})

    def test_proxy_mode_passes_raw_bodies(self) -> None:
        echoed = self.vault.proxy_request(
            "POST", f"{support.API_URL}/echo", grant_id=self.grant_id, body="plain text"
        ).json()
        self.assertEqual(echoed["body"], "plain text")
        self.assertEqual(echoed["headers"]["content-type"], "text/plain;charset=UTF-8")
        form = self.vault.request(
            "POST", f"{support.API_URL}/echo", grant_id=self.grant_id, body={"a": "1 2"}
        ).json()
        self.assertEqual(form["body"], "a=1+2")


if __name__ == "__main__":
    unittest.main()
