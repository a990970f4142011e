export {
  AuthenticationError,
  isVaultError,
  NetworkError,
  VaultError,
  VaultValueError,
} from "./errors.js";
export { type AppInfo, Vault, type VaultOptions } from "./vault.js";
