export { type AppDependencies, BODY_LIMIT_BYTES, buildApp } from "./app.js";
export { ApiKeyService, hashApiKey } from "./apps/api-keys.js";
export { type Clock, systemClock } from "./clock.js";
export { ConfigError, loadConfig, type ServerConfig } from "./config.js";
export { DecryptionError, Keyring } from "./crypto/keyring.js";
export { KeyringHolder } from "./crypto/keyring-holder.js";
export { createLogger } from "./logger.js";
export { Store } from "./storage/store.js";
