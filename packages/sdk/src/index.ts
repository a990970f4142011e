export { canOpenBrowser } from "./browser.js";
export type { ConnectOptions, ConnectResult, GrantPolicy } from "./connect.js";
export {
  AuthenticationError,
  ConnectConfigError,
  ConnectDeniedError,
  ConnectFlowError,
  ConnectTimeoutError,
  isVaultError,
  NetworkError,
  VaultError,
  VaultValueError,
} from "./errors.js";
export { type AppInfo, Vault, type VaultOptions } from "./vault.js";
