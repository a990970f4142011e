import { API_KEY_SCOPES, type ApiKeyScope } from "@grantvault/protocol";
import type { Kysely } from "kysely";
import { PreparedQuery } from "./prepared-query.js";
import type { Database } from "./schema.js";

export interface ApiKeyRecord {
  id: string;
  appId: string;
  name: string | null;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
  scopes: readonly ApiKeyScope[];
  /** The key that created this one; null when the operator did. */
  createdBy: string | null;
  /** From then on the key is refused; null: never. */
  expiresAt: number | null;
  /** Set while the key is disabled (reversible, unlike revokedAt). */
  disabledAt: number | null;
  /** Set (read with the key when authenticating) when its app is disabled: its keys are refused. */
  appDisabled?: true;
}

/** What an update may change of a key (absent: unchanged). */
export interface ApiKeyChanges {
  name?: string | null;
  scopes?: readonly ApiKeyScope[];
  expiresAt?: number | null;
  disabledAt?: number | null;
}

export class ApiKeysRepository {
  readonly #byHash: PreparedQuery<
    { hash: string },
    Database["api_keys"] & { app_disabled_at: number | null }
  >;

  constructor(private readonly db: Kysely<Database>) {
    // Every request with an API key asks this.
    this.#byHash = new PreparedQuery(db, (slot) =>
      db
        .selectFrom("api_keys")
        // The app's disabled flag in the same query: a disabled app's keys are refused (issue 15).
        .innerJoin("apps", "apps.id", "api_keys.app_id")
        .select([
          "api_keys.id",
          "api_keys.app_id",
          "api_keys.name",
          "api_keys.prefix",
          "api_keys.hash",
          "api_keys.created_at",
          "api_keys.last_used_at",
          "api_keys.revoked_at",
          "api_keys.scopes",
          "api_keys.created_by",
          "api_keys.expires_at",
          "api_keys.disabled_at",
          "apps.disabled_at as app_disabled_at",
        ])
        .where("api_keys.hash", "=", slot("hash")),
    );
  }

  async insert(key: ApiKeyRecord & { hash: string }): Promise<void> {
    await this.db
      .insertInto("api_keys")
      .values({
        id: key.id,
        app_id: key.appId,
        name: key.name,
        prefix: key.prefix,
        hash: key.hash,
        created_at: key.createdAt,
        last_used_at: key.lastUsedAt,
        revoked_at: key.revokedAt,
        scopes: key.scopes.join(" "),
        created_by: key.createdBy,
        expires_at: key.expiresAt,
        disabled_at: key.disabledAt,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.#byHash.first({ hash });
    if (!row) return null;
    const key = toApiKey(row);
    if (row.app_disabled_at !== null) key.appDisabled = true;
    return key;
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toApiKey(row) : null;
  }

  async list(appId?: string): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom("api_keys").selectAll();
    if (appId !== undefined) query = query.where("app_id", "=", appId);
    const rows = await query.orderBy("created_at").orderBy("id").execute();
    return rows.map(toApiKey);
  }

  /** How many of the app's keys are not revoked. */
  async countActive(appId: string): Promise<number> {
    const row = await this.db
      .selectFrom("api_keys")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("app_id", "=", appId)
      .where("revoked_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Applies `changes` to a key that is not revoked; false when there is none. */
  async update(id: string, changes: ApiKeyChanges): Promise<boolean> {
    const set: Partial<Database["api_keys"]> = {};
    if (changes.name !== undefined) set.name = changes.name;
    if (changes.scopes !== undefined) set.scopes = changes.scopes.join(" ");
    if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
    if (changes.disabledAt !== undefined) set.disabled_at = changes.disabledAt;
    if (Object.keys(set).length === 0) return (await this.get(id))?.revokedAt === null;
    const result = await this.db
      .updateTable("api_keys")
      .set(set)
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Marks the key revoked; false when there is no such key or it was revoked already. */
  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable("api_keys")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records use, at most once per `resolution` ms, so authenticating does not write on every call. */
  async touch(id: string, at: number, resolution: number): Promise<void> {
    await this.db
      .updateTable("api_keys")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at - resolution)]))
      .execute();
  }
}

export function toApiKey(row: Database["api_keys"]): ApiKeyRecord {
  return {
    id: row.id,
    appId: row.app_id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    scopes: scopesOf(row.scopes),
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    disabledAt: row.disabled_at,
  };
}

/** Whether a key authenticates at `now`, and if not why. */
export function keyStatus(
  key: Pick<ApiKeyRecord, "revokedAt" | "disabledAt" | "expiresAt">,
  now: number,
): "active" | "disabled" | "expired" | "revoked" {
  if (key.revokedAt !== null) return "revoked";
  if (key.disabledAt !== null) return "disabled";
  if (key.expiresAt !== null && key.expiresAt <= now) return "expired";
  return "active";
}

/** The known scopes in a stored list; a name this version does not know grants nothing. */
function scopesOf(stored: string): ApiKeyScope[] {
  const names = new Set(stored.split(" "));
  return API_KEY_SCOPES.filter((scope) => names.has(scope));
}
