export type {
  ApiKey,
  ApiKeyStatus,
  ApiKeysAdmin,
  CreateApiKeyOptions,
  CreatedApiKey,
  UpdateApiKeyOptions,
} from "./admin/api-keys.js";
export type { App, AppsAdmin, CreateAppOptions, CreatedApp, UpdateAppOptions } from "./admin/apps.js";
export type {
  IdentityProvider,
  IdentityProviderAdmin,
  IdentityProviderChanges,
  IdentityProviderDocument,
} from "./admin/identity-provider.js";
export type { AppProvider, ProviderChanges, ProviderDocument, ProvidersAdmin } from "./admin/providers.js";
export { VaultAdmin, type VaultAdminOptions } from "./admin/vault-admin.js";
export type { AuditEvent, ListAuditEventsOptions } from "./audit.js";
export { canOpenBrowser } from "./browser.js";
export type { ConnectOptions, ConnectResult, GrantPolicy } from "./connect.js";
export type { ConnectSession, CreateConnectSessionOptions } from "./connect-session.js";
export {
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
  isVaultError,
  NetworkError,
  PolicyViolationError,
  ProviderAPIError,
  ReAuthRequiredError,
  TokenRefreshUnavailableError,
  VaultError,
  VaultValueError,
} from "./errors.js";
export type { Grant, GrantPage, ListGrantsOptions } from "./grants.js";
export type { AuthenticateOptions, AuthResult } from "./identity.js";
export type { OfferedProvider, ProviderParameter } from "./providers.js";
export type { QueryValue, RequestOptions, RetryInfo, VaultResponse } from "./request.js";
export { type AppInfo, Vault, type VaultOptions } from "./vault.js";
