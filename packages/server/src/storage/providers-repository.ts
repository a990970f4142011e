import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** An app's provider as stored: the document without its secret, and the sealed secret. */
export interface ProviderRow {
  /** `prv_…`: the row's own id (the sealed secret is bound to it). */
  id: string;
  appId: string;
  /** The id the app, its connect sessions and its grants use. */
  providerId: string;
  kind: "catalog" | "oidc" | "oauth2";
  /** The provider document without `clientSecret`. */
  config: Record<string, unknown>;
  sealedSecret: string;
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** Apps' providers. This layer stores ciphertext only; sealing happens above it. */
export class ProvidersRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async listForApp(appId: string): Promise<ProviderRow[]> {
    const rows = await this.db
      .selectFrom("providers")
      .selectAll()
      .where("app_id", "=", appId)
      .orderBy("provider_id")
      .execute();
    return rows.map(toRow);
  }

  /** Every provider id some app uses, sorted (one query, no secrets read). */
  async distinctProviderIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("providers")
      .select("provider_id")
      .distinct()
      .orderBy("provider_id")
      .execute();
    return rows.map((row) => row.provider_id);
  }

  async get(appId: string, providerId: string): Promise<ProviderRow | null> {
    const row = await this.db
      .selectFrom("providers")
      .selectAll()
      .where("app_id", "=", appId)
      .where("provider_id", "=", providerId)
      .executeTakeFirst();
    return row ? toRow(row) : null;
  }

  async insert(row: ProviderRow): Promise<void> {
    await this.db.insertInto("providers").values(toColumns(row)).execute();
  }

  /** Replaces everything but the ids and the creation time. */
  async update(row: ProviderRow): Promise<void> {
    const {
      id: _id,
      app_id: _app,
      provider_id: _provider,
      created_at: _created,
      ...changes
    } = toColumns(row);
    await this.db.updateTable("providers").set(changes).where("id", "=", row.id).execute();
  }

  /** False when the app has no such provider. */
  async delete(appId: string, providerId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("providers")
      .where("app_id", "=", appId)
      .where("provider_id", "=", providerId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toColumns(row: ProviderRow): Database["providers"] {
  return {
    id: row.id,
    app_id: row.appId,
    provider_id: row.providerId,
    kind: row.kind,
    config: JSON.stringify(row.config),
    client_secret: row.sealedSecret,
    enabled: row.enabled ? 1 : 0,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

function toRow(row: Database["providers"]): ProviderRow {
  return {
    id: row.id,
    appId: row.app_id,
    providerId: row.provider_id,
    kind: row.kind as ProviderRow["kind"],
    config: JSON.parse(row.config) as Record<string, unknown>,
    sealedSecret: row.client_secret,
    enabled: Number(row.enabled) !== 0,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
