import type { Generated } from "kysely";

/**
 * The tables as the query layer sees them. Times are epoch milliseconds (INTEGER in SQLite,
 * BIGINT in PostgreSQL, read back as numbers); optional values are explicit nulls.
 */
export interface Database {
  apps: AppsTable;
  api_keys: ApiKeysTable;
  operator_keys: OperatorKeysTable;
  grants: GrantsTable;
  credentials: CredentialsTable;
  connect_sessions: ConnectSessionsTable;
  oauth_states: OAuthStatesTable;
  audit_events: AuditEventsTable;
  audit_checkpoints: AuditCheckpointsTable;
  refresh_leases: RefreshLeasesTable;
  providers: ProvidersTable;
  identity_providers: IdentityProvidersTable;
}

/** An app's provider and its OAuth client (issue 15). */
export interface ProvidersTable {
  /** `prv_…`: addresses the sealed client secret. */
  id: string;
  app_id: string;
  /** The id the app and its grants use (`github`), unique within the app. */
  provider_id: string;
  /** catalog | oidc | oauth2 */
  kind: string;
  /** The provider document without its client secret (JSON). */
  config: string;
  /** The sealed client secret (see crypto/keyring.ts); never plaintext. */
  client_secret: string;
  /** 1 offered and usable; 0 disabled (its grants stay, unusable until enabled again). */
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** An app's identity provider (OIDC) for `authenticate()` and user tokens: at most one. */
export interface IdentityProvidersTable {
  app_id: string;
  /** The identity provider document without its client secret (JSON). */
  config: string;
  /** The sealed client secret; never plaintext. */
  client_secret: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** Who is refreshing a grant's tokens right now, until when (see refresh-leases-repository.ts). */
export interface RefreshLeasesTable {
  grant_id: string;
  holder: string;
  expires_at: number;
}

export interface AuditEventsTable {
  id: string;
  app_id: string;
  /** Position in the app's chain, from 1. */
  seq: number;
  created_at: number;
  type: string;
  /** ok | refused | error */
  outcome: string;
  grant_id: string | null;
  provider_id: string | null;
  api_key_prefix: string | null;
  reason: string | null;
  /** JSON object, or null. */
  context: string | null;
  /** JSON object, or null. */
  details: string | null;
  /** Hash of the previous event of the app (64 zeros for the first). */
  prev_hash: string;
  /** SHA-256 over prev_hash and this event's fields. */
  hash: string;
  /**
   * Master key id of the audit key that MACs this row (F8); null for a legacy row written before
   * keyed links (accepted only before the chain's first keyed row).
   */
  mac_key_id: string | null;
  /** HMAC-SHA-256 of (key id, app, seq, hash) under the audit key derived from mac_key_id. */
  mac: string | null;
}

/** Signed tips of the audit chains (F8): truncation below one of them is detected. */
export interface AuditCheckpointsTable {
  app_id: string;
  /** The chain's tip when the checkpoint was taken. */
  seq: number;
  hash: string;
  created_at: number;
  mac_key_id: string;
  /** HMAC-SHA-256 of (key id, app, seq, hash, created_at) under the audit key. */
  mac: string;
}

export interface AppsTable {
  id: string;
  name: string;
  created_at: number;
  /** JSON array of origins the operator allowed for return URLs and widget messages. */
  allowed_origins: string;
  /** 1: a grant bound to a user is usable only with that user's token (F6); 0: the operator relaxed it. */
  user_grants_need_user_token: Generated<number>;
  /** When the operator disabled the app (its keys are refused), or null. */
  disabled_at: number | null;
}

export interface ApiKeysTable {
  id: string;
  app_id: string;
  name: string | null;
  /** The first characters of the key, safe to show and to log. */
  prefix: string;
  /** SHA-256 of the whole key (hex); the key itself is never stored. */
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** Space-separated ApiKeyScope names (`admin connect use proxy read`). */
  scopes: string;
  /** The key that created this one; null when the operator did. */
  created_by: string | null;
  /** From then on the key is refused (`api_key_expired`); null: never. */
  expires_at: number | null;
  /** Set while the key is disabled (reversible, unlike revoked_at). */
  disabled_at: number | null;
}

/** The operator's vault-wide keys (`gv_op_…`): the control plane only, no app's grants. */
export interface OperatorKeysTable {
  id: string;
  name: string | null;
  prefix: string;
  /** SHA-256 of the whole key (hex); the key itself is never stored. */
  hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface GrantsTable {
  id: string;
  app_id: string;
  provider_id: string;
  /** The account's label (an email, a login): shown, may change on reconnect, never a key (F1). */
  account_identifier: string;
  /**
   * The provider's permanent id of the account (F1): the grant's key with app, provider and user.
   * Null for a grant made before migration 0008 until its next reconnect records it.
   */
  account_subject: string | null;
  /** JSON array of granted scopes. */
  scopes: string;
  status: string;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
  /** JSON of the grant policy it was made under, or null. */
  grant_policy: string | null;
  /** Why it is not active (revocation reason, provider error), or null. */
  status_reason: string | null;
  /** The signed-in user (`sub` of the app's identity provider) the grant belongs to, or null. */
  user_subject: string | null;
  /** JSON object of the per-connection parameters (`{"tenant": "acme"}`) its URLs use, or null. */
  connection_params: string | null;
}

export interface CredentialsTable {
  grant_id: string;
  /** The sealed token set (see crypto/keyring.ts); never plaintext. */
  secret: string;
  updated_at: number;
}

export interface ConnectSessionsTable {
  id: string;
  app_id: string;
  /** SHA-256 of the session token (the secret in the Connect URL). */
  token_hash: string;
  confirmation_code: string;
  /** pending | completed | denied | failed (expiry is derived from expires_at). */
  status: string;
  /** JSON array of provider ids. */
  allowed_providers: string;
  grant_policy: string | null;
  /** JSON array of connect results once completed. */
  results: string | null;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  expires_at: number;
  updated_at: number;
  /** `connect` (a provider grant) or `auth` (a sign-in at the app's identity provider). */
  kind: string;
  /** Bare origin the Connect page reports to (postMessage target), or null. */
  allowed_origin: string | null;
  /** Where a redirect-mode browser goes when the session ends, or null. */
  return_url: string | null;
  /** JSON object: provider id → scopes, narrowing the configured ones; or null. */
  required_scopes: string | null;
  /** JSON object of the app's string metadata, or null. */
  metadata: string | null;
  /** The signed-in user the resulting grant is bound to, or null. */
  user_subject: string | null;
  /** Sign-in sessions: the sealed ID token once completed; otherwise null. */
  user_token: string | null;
  /** JSON object: provider id → per-connection parameters given at creation, or null. */
  connection_params: string | null;
}

export interface OAuthStatesTable {
  /** SHA-256 of the `state` sent to the provider: a database reader cannot forge a callback. */
  state_hash: string;
  session_id: string;
  provider_id: string;
  /** PKCE verifier (RFC 7636), or null when the provider does not support PKCE. */
  code_verifier: string | null;
  /** OIDC nonce, or null for plain OAuth 2.0. */
  nonce: string | null;
  /** How the Connect page was opened (`popup`, `redirect`), or null for a plain tab. */
  display: string | null;
  /**
   * SHA-256 of the cookie set in the browser that started the flow (F2); the callback must carry
   * it. Null only for states stored before migration 0009 (refused at the callback).
   */
  browser_binding_hash: string | null;
  created_at: number;
  expires_at: number;
}

/** Kysely's marker for columns the database fills in; re-exported so tables can use it later. */
export type { Generated };
