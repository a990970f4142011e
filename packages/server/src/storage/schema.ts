import type { Generated } from "kysely";

/**
 * The tables as the query layer sees them. Times are epoch milliseconds (INTEGER in SQLite,
 * BIGINT in PostgreSQL, read back as numbers); optional values are explicit nulls.
 */
export interface Database {
  apps: AppsTable;
  api_keys: ApiKeysTable;
  grants: GrantsTable;
  credentials: CredentialsTable;
}

export interface AppsTable {
  id: string;
  name: string;
  created_at: number;
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
}

export interface GrantsTable {
  id: string;
  app_id: string;
  provider_id: string;
  account_identifier: string;
  /** JSON array of granted scopes. */
  scopes: string;
  status: string;
  expires_at: number | null;
  last_used_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface CredentialsTable {
  grant_id: string;
  /** The sealed token set (see crypto/keyring.ts); never plaintext. */
  secret: string;
  updated_at: number;
}

/** Kysely's marker for columns the database fills in; re-exported so tables can use it later. */
export type { Generated };
