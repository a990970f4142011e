"""Grantvault Python SDK: headless OAuth and provider API calls without tokens in your code.

Same surface as the TypeScript SDK, with Python conventions (snake_case, seconds)::

    from grantvault import Vault

    vault = Vault()  # GRANTVAULT_API_KEY and GRANTVAULT_URL, else the local vault's
    [grant] = vault.connect(providers=["demo"])
    response = vault.request("GET", "https://api.example.com/user", grant_id=grant.grant_id)

``authenticate()`` signs a user in at the app's identity provider; with their user token, grants
belong to that user and calls name the provider instead of a grant id.

Standard library only. ``AsyncVault`` offers the same methods as coroutines.
"""

from ._version import __version__
from .admin import ApiKeysAdmin, AppsAdmin, IdentityProviderAdmin, ProvidersAdmin, VaultAdmin
from .async_vault import AsyncVault
from .browser import can_open_browser
from .errors import (
    AmbiguousGrantError,
    AuthenticationError,
    ConnectConfigError,
    ConnectDeniedError,
    ConnectFlowError,
    ConnectTimeoutError,
    CredentialRevokedError,
    GrantExpiredError,
    GrantNotFoundError,
    GrantRevokedError,
    HostNotAllowedError,
    InsufficientScopeError,
    InvalidUserTokenError,
    NetworkError,
    PolicyViolationError,
    ProviderAPIError,
    ReAuthRequiredError,
    TokenRefreshUnavailableError,
    VaultError,
    VaultValueError,
    is_vault_error,
)
from .response import Headers, Response, RetryInfo
from .types import (
    ApiKey,
    App,
    AppInfo,
    AppProvider,
    AuditEvent,
    AuditPage,
    AuthResult,
    ConnectResult,
    ConnectSession,
    CreatedApiKey,
    CreatedApp,
    ErrorIssue,
    Grant,
    GrantPage,
    GrantPolicy,
    IdentityProvider,
    OfferedProvider,
    ProviderParameter,
)
from .vault import Vault

__all__ = [
    "AmbiguousGrantError",
    "ApiKey",
    "ApiKeysAdmin",
    "App",
    "AppInfo",
    "AppProvider",
    "AppsAdmin",
    "AsyncVault",
    "AuditEvent",
    "AuditPage",
    "AuthResult",
    "AuthenticationError",
    "ConnectConfigError",
    "ConnectDeniedError",
    "ConnectFlowError",
    "ConnectResult",
    "ConnectSession",
    "ConnectTimeoutError",
    "CreatedApiKey",
    "CreatedApp",
    "CredentialRevokedError",
    "ErrorIssue",
    "Grant",
    "GrantExpiredError",
    "GrantNotFoundError",
    "GrantPage",
    "GrantPolicy",
    "GrantRevokedError",
    "Headers",
    "HostNotAllowedError",
    "IdentityProvider",
    "IdentityProviderAdmin",
    "InsufficientScopeError",
    "InvalidUserTokenError",
    "NetworkError",
    "OfferedProvider",
    "PolicyViolationError",
    "ProviderAPIError",
    "ProviderParameter",
    "ProvidersAdmin",
    "ReAuthRequiredError",
    "Response",
    "RetryInfo",
    "TokenRefreshUnavailableError",
    "Vault",
    "VaultAdmin",
    "VaultError",
    "VaultValueError",
    "__version__",
    "can_open_browser",
    "is_vault_error",
]
