"""Security review 1: URL handling (F9, F10), SDK hardening (F20a, F20b, F22) and a provider the
vault does not have at ``connect()`` (issue 12 item 11), against the real vault and resource API."""

from __future__ import annotations

import os
import unittest
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import support
from grantvault import (
    ConnectConfigError,
    ConnectFlowError,
    ConnectTimeoutError,
    Vault,
    VaultValueError,
)
from grantvault import http as grantvault_http

_ANY_GRANT = "grant_" + "0" * 24


@contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Sets (or, with ``None``, removes) environment variables while the block runs."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class PathParameterTest(unittest.TestCase):
    def test_f10_dot_segments_and_empty_path_params_are_refused(self) -> None:
        vault = support.vault()
        for value in ("..", ".", ""):
            for call in (vault.request, vault.proxy_request):
                with self.subTest(value=value, mode=call.__name__):
                    with self.assertRaises(VaultValueError) as caught:
                        call(
                            "GET",
                            f"{support.API_URL}/repos/octocat/{{repo}}/issues",
                            grant_id=_ANY_GRANT,
                            path_params={"repo": value},
                        )
                    self.assertEqual(caught.exception.code, "invalid_argument")


class ApprovedUrlTest(unittest.TestCase):
    def test_f9_retrieve_mode_calls_exactly_the_url_the_vault_approved(self) -> None:
        grant = support.shared_grant(support.OAUTH2)
        # The vault (WHATWG) reads the backslash as a path separator: host 127.0.0.1; urllib
        # reads `127.0.0.1:<port>\\echo\\x.evil.example` as the host. The SDK must call the former.
        raw = f"{support.API_URL}\\echo\\x.evil.example"
        response = support.vault().request("GET", raw, grant_id=grant.grant_id)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["path"], "/echo/x.evil.example/")
        self.assertEqual(response.url, f"{support.API_URL}/echo/x.evil.example/")

    def test_f9_a_netloc_with_characters_outside_host_syntax_is_refused(self) -> None:
        for url in (
            "https://api.github.com\\x.evil.example/",
            "https://api.github.com%2f.evil.example/",
            "https://user@api.github.com/",
            "https://api.github.com /",
        ):
            with self.subTest(url=url):
                with self.assertRaises(VaultValueError):
                    grantvault_http.check_netloc(url)
        grantvault_http.check_netloc("https://api.github.com:443/repos")
        grantvault_http.check_netloc("http://[::1]:8080/")


class InsecureHttpTest(unittest.TestCase):
    def test_f20a_plain_http_to_a_non_loopback_vault_needs_an_explicit_opt_in(self) -> None:
        with environment(GRANTVAULT_ALLOW_INSECURE_HTTP=None):
            for url in ("http://vault.example:7400", "http://10.0.0.5"):
                with self.subTest(url=url):
                    with self.assertRaisesRegex(VaultValueError, "cleartext"):
                        Vault(api_key="gv_x", base_url=url)
            Vault(api_key="gv_x", base_url="https://vault.example")
            Vault(api_key="gv_x", base_url="http://localhost:7400")
            Vault(api_key="gv_x", base_url="http://[::1]:7400")
            Vault(api_key="gv_x", base_url="http://vault.example", allow_insecure_http=True)
        with environment(GRANTVAULT_ALLOW_INSECURE_HTTP="1"):
            Vault(api_key="gv_x", base_url="http://vault.example")
            with self.assertRaises(VaultValueError):
                Vault(api_key="gv_x", base_url="http://vault.example", allow_insecure_http=False)


class ConnectLinkTest(unittest.TestCase):
    def _elsewhere(self) -> str:
        """The test vault under another name: its links (on 127.0.0.1) are on another origin."""
        parts = urllib.parse.urlsplit(support.BASE_URL)
        return f"{parts.scheme}://localhost:{parts.port}"

    def test_f20b_a_link_on_another_origin_is_neither_shown_nor_opened(self) -> None:
        opened: list[str] = []
        vault = Vault(base_url=self._elsewhere())
        with support.watched_stderr() as watch:
            with self.assertRaisesRegex(ConnectFlowError, "another origin") as caught:
                vault.connect(providers=[support.OAUTH2], timeout=5, open_url=opened.append)
        self.assertEqual(caught.exception.code, "unexpected_response")
        self.assertEqual(opened, [])
        self.assertIsNone(watch.url())

    def test_f20b_public_url_names_the_vaults_other_origin(self) -> None:
        opened: list[str] = []
        vault = Vault(base_url=self._elsewhere(), public_url=support.BASE_URL)
        with support.watched_stderr():
            with self.assertRaises(ConnectTimeoutError):
                vault.connect(providers=[support.OAUTH2], timeout=1, open_url=opened.append)
        self.assertEqual(len(opened), 1)
        self.assertTrue(opened[0].startswith(f"{support.BASE_URL}/connect/"))

    def test_f22_a_link_printed_in_ci_comes_with_a_bearer_link_warning(self) -> None:
        for ci in ("true", None):
            with self.subTest(ci=ci), environment(CI=ci), support.watched_stderr() as watch:
                with self.assertRaises(ConnectTimeoutError):
                    support.vault().connect(
                        providers=[support.OAUTH2], timeout=1, open_browser=False
                    )
                self.assertIsNotNone(watch.url())
                if ci:
                    self.assertIn("bearer link", watch.text)
                else:
                    self.assertNotIn("bearer link", watch.text)

    def test_item_11_an_unknown_provider_is_a_connect_config_error(self) -> None:
        with support.watched_stderr():
            with self.assertRaises(ConnectConfigError) as caught:
                support.vault().connect(providers=["no-such-provider"], timeout=5)
        self.assertEqual(caught.exception.code, "unknown_provider")


if __name__ == "__main__":
    unittest.main()
