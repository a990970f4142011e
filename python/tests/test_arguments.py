"""Checks that need no vault: arguments refused before any network call, URL building, and the
mapping of the vault's error codes to the TypeScript SDK's classes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import unittest
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from grantvault import (
    AmbiguousGrantError,
    AsyncVault,
    AuthenticationError,
    AuthResult,
    ConnectDeniedError,
    ConnectFlowError,
    ConnectSession,
    ConnectTimeoutError,
    CredentialRevokedError,
    GrantExpiredError,
    HostNotAllowedError,
    InsufficientScopeError,
    InvalidUserTokenError,
    PolicyViolationError,
    TokenRefreshUnavailableError,
    Vault,
    VaultError,
    VaultValueError,
)
from grantvault.errors import error_from_response
from grantvault.identity import auth_result_of
from grantvault.local_credentials import resolve_vault_access
from grantvault.prepared_call import build_url, prepare


class ArgumentsTest(unittest.TestCase):
    offline = Vault(api_key="gv_live_offline", base_url="http://127.0.0.1:1/")

    def test_vault_settings(self) -> None:
        self.assertEqual(self.offline.base_url, "http://127.0.0.1:1")
        with (
            mock.patch.dict(os.environ, {"GRANTVAULT_API_KEY": "", "GRANTVAULT_URL": ""}),
            tempfile.TemporaryDirectory() as empty,
            _inside(Path(empty)),
        ):
            with self.assertRaises(VaultValueError):
                Vault()
            self.assertEqual(Vault(api_key="k").base_url, "http://127.0.0.1:7400")
        with mock.patch.dict(
            os.environ, {"GRANTVAULT_API_KEY": "k", "GRANTVAULT_URL": "https://v.example/"}
        ):
            self.assertEqual(Vault().base_url, "https://v.example")
        for bad in ("ftp://x", "not a url", "http://user:pw@host"):
            with self.subTest(base_url=bad), self.assertRaises(VaultValueError):
                Vault(api_key="k", base_url=bad)
        with self.assertRaises(VaultValueError):
            Vault(api_key="k", timeout=0)

    def test_connect_refuses_bad_arguments_before_any_network_call(self) -> None:
        for kwargs in (
            {"providers": []},
            {"providers": ["Not A Provider"]},
            {"timeout": -1},
            {"poll_interval": 0.01},
            {"grant_policy": {"max_ttl_seconds": 1.5}},
            {"grant_policy": {"max_ttl_seconds": 30}},
            {"grant_policy": {"ttl": 600}},
        ):
            with self.subTest(**kwargs), self.assertRaises(VaultValueError) as caught:
                self.offline.connect(**kwargs)  # type: ignore[arg-type]
            self.assertEqual(caught.exception.code, "invalid_argument")

    def test_request_refuses_bad_arguments_before_any_network_call(self) -> None:
        grant = "grant_0123456789abcdef01234567"
        for kwargs in (
            {"method": "BREW", "url": "https://api.example/x", "grant_id": grant},
            {"method": "GET", "url": "https://api.example/x", "grant_id": "nope"},
            {"method": "GET", "url": "/relative", "grant_id": grant},
            {"method": "GET", "url": "https://api.example/x", "grant_id": grant, "body": b"x"},
            {
                "method": "POST",
                "url": "https://api.example/x",
                "grant_id": grant,
                "json": {},
                "body": "x",
            },
            {
                "method": "GET",
                "url": "https://api.example/x",
                "grant_id": grant,
                "extra_headers": {"x-bad": "a\r\nb"},
            },
            {
                "method": "GET",
                "url": "https://api.example/x",
                "grant_id": grant,
                "context": {"k": object()},
            },
        ):
            for call in (self.offline.request, self.offline.proxy_request):
                with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                    with self.assertRaises(VaultValueError):
                        call(**kwargs)  # type: ignore[arg-type]
        with self.assertRaises(VaultValueError):
            self.offline.proxy_request(
                "GET", "https://api.example/x", grant_id=grant, reason="naïve\nreason"
            )


class IdentityArgumentsTest(unittest.TestCase):
    """``provider``/``account``/``user_token``, ``create_connect_session()`` and
    ``verify_user_token()`` refuse bad arguments before any network call (the vault here is
    unreachable: a call that got as far as the network would raise ``NetworkError``)."""

    offline = Vault(api_key="gv_live_offline", base_url="http://127.0.0.1:1/")
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"

    def test_a_call_names_a_grant_id_or_a_provider_with_a_user(self) -> None:
        grant = "grant_0123456789abcdef01234567"
        url = "https://api.example/x"
        for kwargs in (
            {},  # neither
            {"grant_id": grant, "provider": "octo"},  # both
            {"grant_id": grant, "account": "a@x.test"},  # account without provider
            {"provider": "Not A Provider", "user_token": self.token},
            {"provider": "octo", "account": "", "user_token": self.token},
            {"provider": "octo"},  # no user token, no getter
            {"provider": "octo", "user_token": ""},
            {"provider": "octo", "user_token": f"{self.token}\r\nx-evil: 1"},
        ):
            for call in (self.offline.request, self.offline.proxy_request):
                with self.subTest(**kwargs), self.assertRaises(VaultValueError) as caught:
                    call("GET", url, **kwargs)  # type: ignore[arg-type]
                self.assertNotIn(self.token, str(caught.exception))

    def test_the_user_token_getter(self) -> None:
        async def coroutine_getter() -> str:
            return self.token

        blocking = Vault(
            api_key="gv_live_offline",
            base_url="http://127.0.0.1:1/",
            user_token_getter=coroutine_getter,  # type: ignore[arg-type]
        )
        with self.assertRaises(VaultValueError) as caught:
            blocking.request("GET", "https://api.example/x", provider="octo")
        self.assertIn("AsyncVault", str(caught.exception))
        nobody = Vault(
            api_key="gv_live_offline",
            base_url="http://127.0.0.1:1/",
            user_token_getter=lambda: None,
        )
        with self.assertRaises(VaultValueError):
            nobody.request("GET", "https://api.example/x", provider="octo")
        with self.assertRaises(VaultValueError):
            Vault(api_key="k", user_token_getter="not callable")  # type: ignore[arg-type]
        with self.assertRaises(VaultValueError):
            AsyncVault(api_key="k", user_token_getter=42)  # type: ignore[arg-type]

    def test_the_user_token_is_not_in_the_prepared_calls_repr(self) -> None:
        call = prepare(
            "GET", "https://api.example/x", grant_id=None, provider="octo", user_token=self.token
        )
        self.assertNotIn(self.token, repr(call))
        self.assertIn("provider='octo'", repr(call))

    def test_create_connect_session_and_verify_refuse_bad_arguments(self) -> None:
        for kwargs in (
            {"allowed_providers": []},
            {"allowed_providers": ["Not A Provider"]},
            {"return_url": "javascript:alert(1)"},
            {"allowed_origin": 42},
            {"grant_policy": {"max_ttl_seconds": 30}},
            {"required_scopes": {"octo": "repo"}},
            {"required_scopes": {"Not A Provider": ["repo"]}},
            {"metadata": {"n": 1}},
            {"user_token": ""},
            {"connection_params": {"corp": {"tenant": 1}}},
            {"connection_params": {"Not A Provider": {"tenant": "acme"}}},
            {"connection_params": ["corp"]},
        ):
            with self.subTest(**{k: repr(v) for k, v in kwargs.items()}):
                with self.assertRaises(VaultValueError):
                    self.offline.create_connect_session(**kwargs)  # type: ignore[arg-type]
        for token in ("", None, "a\nb"):
            with self.subTest(token=token), self.assertRaises(VaultValueError):
                self.offline.verify_user_token(token)  # type: ignore[arg-type]
        for kwargs in ({"timeout": 0}, {"poll_interval": 0.01}):
            with self.subTest(**kwargs), self.assertRaises(VaultValueError):
                self.offline.authenticate(**kwargs)  # type: ignore[arg-type]
        with self.assertRaises(VaultValueError):
            self.offline.connect(connection_params={"corp": {"tenant": None}})  # type: ignore[dict-item]

    def test_results_hide_their_bearer_secrets(self) -> None:
        result = AuthResult(user_token=self.token, user_info={"sub": "alice"})
        self.assertEqual(repr(result), "AuthResult(user_info={'sub': 'alice'})")
        session = ConnectSession.from_body(
            {
                "session_id": "cs_0123456789abcdef01234567",
                "session_token": "gvcs_secret",
                "connect_url": "http://v/connect/gvcs_secret",
                "confirmation_code": "AB12-CD34",
                "expires_at": "2030-01-01T00:00:00.000Z",
            }
        )
        self.assertNotIn("gvcs_secret", f"{session!r} {session!s}")
        self.assertEqual(session.expires_at.year, 2030)

    def test_sign_in_outcomes_map_to_the_typescript_errors(self) -> None:
        base = {"session_id": "cs_0123456789abcdef01234567", "user_token": None}
        signed_in = auth_result_of(
            {**base, "status": "completed", "user_token": self.token, "user_info": {"sub": "a"}}
        )
        self.assertEqual((signed_in.user_token, signed_in.user_info), (self.token, {"sub": "a"}))
        for session, cls, code in (
            ({"status": "expired"}, ConnectTimeoutError, "connect_timeout"),
            (
                {"status": "denied", "error": {"code": "access_denied", "message": "no"}},
                ConnectDeniedError,
                "access_denied",
            ),
            (
                {"status": "failed", "error": {"code": "provider_config", "message": "m"}},
                ConnectFlowError,
                "provider_config",
            ),
            ({"status": "failed", "error": None}, ConnectFlowError, "provider_error"),
            ({"status": "completed"}, ConnectFlowError, "provider_error"),  # no token
        ):
            with self.subTest(session=session), self.assertRaises(cls) as caught:
                auth_result_of({**base, **session})
            self.assertIs(type(caught.exception), cls)
            self.assertEqual(caught.exception.code, code)
            self.assertEqual(caught.exception.details["session_id"], base["session_id"])


class UrlTest(unittest.TestCase):
    def test_path_params_are_encoded_like_encode_uri_component(self) -> None:
        url = build_url("https://api.example/{a}/{b}/x", {"a": "a b/c?d#e", "b": "ü!*'()~-_."})
        self.assertEqual(url, "https://api.example/a%20b%2Fc%3Fd%23e/%C3%BC!*'()~-_./x")

    def test_query_params(self) -> None:
        url = build_url(
            "https://api.example/x?keep=1",
            None,
            {"page": 2, "tag": ["x", "y"], "skip": None, "on": True, "q": "a b&c"},
        )
        self.assertEqual(url, "https://api.example/x?keep=1&page=2&tag=x&tag=y&on=true&q=a+b%26c")

    def test_missing_path_param(self) -> None:
        with self.assertRaises(VaultValueError) as caught:
            build_url("https://api.example/{owner}", {})
        self.assertIn("owner", str(caught.exception))


class ErrorsTest(unittest.TestCase):
    def test_codes_map_to_the_typescript_classes(self) -> None:
        for code, cls in (
            ("invalid_api_key", AuthenticationError),
            ("grant_expired", GrantExpiredError),
            ("reauth_required", CredentialRevokedError),
            ("host_not_allowed", HostNotAllowedError),
            ("refresh_unavailable", TokenRefreshUnavailableError),
            ("audit_unavailable", VaultError),
            ("ambiguous_grant", AmbiguousGrantError),
            ("invalid_user_token", InvalidUserTokenError),
            ("origin_not_allowed", PolicyViolationError),
            ("scope_not_allowed", PolicyViolationError),
            ("insufficient_scope", InsufficientScopeError),
            ("api_key_expired", AuthenticationError),
            ("api_key_disabled", AuthenticationError),
            ("app_disabled", AuthenticationError),
            ("provider_disabled", PolicyViolationError),
        ):
            error = error_from_response(403, {"error": {"code": code, "message": "m"}})
            self.assertIs(type(error), cls)
            self.assertEqual(
                (error.code, error.status, error.details), (code, 403, {"status": 403})
            )
        ambiguous = error_from_response(
            409,
            {
                "error": {
                    "code": "ambiguous_grant",
                    "message": "m",
                    "issues": [{"path": "account", "message": "a@x.test"}],
                }
            },
        )
        assert isinstance(ambiguous, AmbiguousGrantError)
        self.assertEqual(ambiguous.candidates, ["a@x.test"])
        self.assertEqual(ambiguous.details["issues"], [{"path": "account", "message": "a@x.test"}])
        odd = error_from_response(502, "<html>")
        self.assertEqual((odd.code, odd.status), ("unexpected_response", 502))
        self.assertTrue(issubclass(VaultValueError, ValueError))


if __name__ == "__main__":
    unittest.main()


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    """Runs the block with ``folder`` as the working directory (away from any local vault)."""
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


class LocalCredentialsTest(unittest.TestCase):
    """Issue 14 item 1: a local embedded vault's credentials file, found by walking up."""

    key = "gv_live_localkeylocalkeylocalkeylocalkeylocalkey1"
    credentials = {
        "version": 1,
        "url": "http://127.0.0.1:7400",
        "api_key": key,
        "app_id": "app_0123456789abcdef01234567",
        "app_name": "default",
    }

    def project(self, content: object, mode: int = 0o600) -> Path:
        root = Path(tempfile.mkdtemp(prefix="gv-local-"))
        self.addCleanup(shutil.rmtree, root, True)
        (root / ".grantvault").mkdir(mode=0o700)
        path = root / ".grantvault" / "credentials.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content))
        path.chmod(mode)
        deep = root / "examples" / "web"
        deep.mkdir(parents=True)
        return deep

    def env(self, **values: str) -> contextlib.AbstractContextManager[object]:
        return mock.patch.dict(
            os.environ, {"GRANTVAULT_API_KEY": "", "GRANTVAULT_URL": "", **values}
        )

    def test_found_from_a_folder_below_and_used_with_its_url(self) -> None:
        with self.env(), _inside(self.project(self.credentials)):
            self.assertEqual(resolve_vault_access(None, None), (self.key, "http://127.0.0.1:7400"))
            self.assertEqual(Vault().base_url, "http://127.0.0.1:7400")
            self.assertEqual(resolve_vault_access("given", None)[0], "given")

    def test_never_sent_to_another_vault(self) -> None:
        with self.env(), _inside(self.project(self.credentials)):
            for other in ("https://evil.example", "http://127.0.0.1:7401"):
                with self.subTest(other=other), self.assertRaisesRegex(
                    VaultValueError, "only sent to"
                ):
                    resolve_vault_access(None, other)

    def test_refused_when_another_user_owns_it(self) -> None:
        # As if the file's owner were someone else: this process runs as another uid.
        with (
            self.env(),
            _inside(self.project(self.credentials)),
            mock.patch("os.getuid", return_value=os.getuid() + 1),
            self.assertRaisesRegex(VaultValueError, "belongs to another user"),
        ):
            resolve_vault_access(None, None)

    def test_refused_when_readable_by_others_or_malformed(self) -> None:
        with self.env(), _inside(self.project(self.credentials, 0o644)):
            with self.assertRaisesRegex(VaultValueError, "chmod 600"):
                resolve_vault_access(None, None)
        with self.env(), _inside(self.project("{not json")):
            with self.assertRaisesRegex(VaultValueError, "not a Grantvault credentials file"):
                resolve_vault_access(None, None)
