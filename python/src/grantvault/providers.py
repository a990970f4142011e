"""Discovery: the providers an app may offer its users (``GET /v1/providers``)."""

from __future__ import annotations

from .http import VaultHttp
from .types import OfferedProvider


def list_providers(http: VaultHttp) -> list[OfferedProvider]:
    """``GET /v1/providers``: the app's enabled providers, then the vault's built-in ones."""
    body = http.call("GET", "/v1/providers")
    return [OfferedProvider.from_body(item) for item in body["providers"]]
