/**
 * The one door through which the tests under test/ reach the server's internals (code-review-1
 * §7 change 4). Tests import from here instead of deep paths, so moving a file inside the server
 * changes this list, not dozens of test files. Not part of the published API: index.ts does not
 * re-export it.
 */
export { BODY_LIMIT_BYTES, buildApp } from "./app.js";
export { ApiKeyManagement, OPERATOR } from "./apps/api-key-management.js";
export { API_KEY_PREFIX, ApiKeyService, hashApiKey } from "./apps/api-keys.js";
export { AppSettings } from "./apps/app-settings.js";
export { OPERATOR_KEY_PREFIX, OperatorKeyService } from "./apps/operator-keys.js";
export { AuditLog } from "./audit/audit-log.js";
export type { ChainFields, ChainTip } from "./audit/chain-link.js";
export { GENESIS, hashOf } from "./audit/chain-link.js";
export { countAuditMacsByKey, remacAll } from "./audit/chain-remac.js";
export type { Check } from "./cli/doctor.js";
export { main } from "./cli/main.js";
export type { Clock } from "./clock.js";
export { systemClock } from "./clock.js";
export { loadConfig } from "./config.js";
export { MAX_LIVE_FLOWS_PER_SESSION } from "./connect/connect-flow.js";
export { ConnectSessionService } from "./connect/connect-sessions.js";
export { SessionEvents } from "./connect/session-events.js";
export { AppAdmin } from "./control/app-admin.js";
export { ConfigEvents } from "./control/config-events.js";
export { IdentityProviderAdmin } from "./control/identity-provider-admin.js";
export { ProviderAdmin } from "./control/provider-admin.js";
export { ProviderDirectory } from "./control/provider-directory.js";
export { beginFileRotation } from "./crypto/key-file-rotation.js";
export type { MasterKey } from "./crypto/keyring.js";
export { DecryptionError, Keyring } from "./crypto/keyring.js";
export { KeyringHolder } from "./crypto/keyring-holder.js";
export { KEY_FILE_NAME, loadKeyring, writeKeyFile } from "./crypto/master-keys.js";
export { countSealedByKey, reencryptAll } from "./crypto/reencrypt.js";
export { CredentialStore } from "./grants/credential-store.js";
export { requireAppAdmin, requireOperator } from "./http/admin-access.js";
export { requireApiKey } from "./http/api-key-auth.js";
export { answerClientError } from "./http/client-errors.js";
export { installErrorHandling } from "./http/error-handler.js";
export { UserTokens } from "./identity/user-tokens.js";
export { newEventId, newId } from "./ids.js";
export { createLogger } from "./logger.js";
export { ConnectFailure } from "./oauth/connect-failure.js";
export type { AuthorizationRequest } from "./oauth/oauth-client.js";
export { OAuthClient } from "./oauth/oauth-client.js";
export type { TokenSet } from "./oauth/token-set.js";
export type { IdentityProviderConfig, ProviderConfig } from "./providers/provider-config.js";
export { resolveProvider } from "./providers/resolve-provider.js";
export type { ResolvedProvider } from "./providers/resolved-provider.js";
export { openRuntime } from "./runtime.js";
export type { ApiKeyRecord } from "./storage/api-keys-repository.js";
export type { CheckpointRow } from "./storage/audit-checkpoints-repository.js";
export type { AuditRow, GrantUseFacts } from "./storage/audit-repository.js";
export type { ConnectSessionRecord } from "./storage/connect-sessions-repository.js";
export type { GrantRecord } from "./storage/grants-repository.js";
export { migrationProvider } from "./storage/migrations/index.js";
export type { OAuthStateRecord } from "./storage/oauth-states-repository.js";
export {
  bindingOf,
  IDENTITY_SECRET_FIELD,
  PROVIDER_SECRET_FIELD,
  USER_TOKEN_FIELD,
} from "./storage/sealed-fields.js";
export { startCheckpointer } from "./storage/sqlite-checkpointer.js";
export { Store } from "./storage/store.js";
