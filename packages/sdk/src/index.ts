export type { AuditEvent, ListAuditEventsOptions } from "./audit.js";
export { canOpenBrowser } from "./browser.js";
export type { ConnectOptions, ConnectResult, GrantPolicy } from "./connect.js";
export {
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
  isVaultError,
  NetworkError,
  ReAuthRequiredError,
  TokenRefreshUnavailableError,
  VaultError,
  VaultValueError,
} from "./errors.js";
export type { Grant, GrantPage, ListGrantsOptions } from "./grants.js";
export type { QueryValue, RequestOptions } from "./request.js";
export { type AppInfo, Vault, type VaultOptions } from "./vault.js";
