import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** An app's identity provider as stored: the document without its secret, and the sealed secret. */
export interface IdentityProviderRow {
  appId: string;
  /** The identity provider document without `clientSecret` (and without `app`). */
  config: Record<string, unknown>;
  sealedSecret: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Apps' identity providers, at most one per app. Ciphertext only; sealing happens above. */
export class IdentityProvidersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(appId: string): Promise<IdentityProviderRow | null> {
    const row = await this.db
      .selectFrom("identity_providers")
      .selectAll()
      .where("app_id", "=", appId)
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  /** Creates or replaces the app's identity provider (the creation time of a replaced one stays). */
  async put(row: IdentityProviderRow): Promise<void> {
    const columns = toColumns(row);
    const { app_id: _app, created_at: _created, ...changes } = columns;
    await this.db
      .insertInto("identity_providers")
      .values(columns)
      .onConflict((oc) => oc.column("app_id").doUpdateSet(changes))
      .execute();
  }

  /** False when the app has none. */
  async delete(appId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("identity_providers")
      .where("app_id", "=", appId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toColumns(row: IdentityProviderRow): Database["identity_providers"] {
  return {
    app_id: row.appId,
    config: JSON.stringify(row.config),
    client_secret: row.sealedSecret,
    enabled: row.enabled ? 1 : 0,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

function toRow(row: Database["identity_providers"]): IdentityProviderRow {
  return {
    appId: row.app_id,
    config: JSON.parse(row.config) as Record<string, unknown>,
    sealedSecret: row.client_secret,
    enabled: Number(row.enabled) !== 0,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
