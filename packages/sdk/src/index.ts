export { canOpenBrowser } from "./browser.js";
export type { ConnectOptions, ConnectResult, GrantPolicy } from "./connect.js";
export {
  AuthenticationError,
  ConnectConfigError,
  ConnectDeniedError,
  ConnectFlowError,
  ConnectTimeoutError,
  GrantNotFoundError,
  isVaultError,
  NetworkError,
  VaultError,
  VaultValueError,
} from "./errors.js";
export type { Grant, GrantPage, ListGrantsOptions } from "./grants.js";
export { type AppInfo, Vault, type VaultOptions } from "./vault.js";
