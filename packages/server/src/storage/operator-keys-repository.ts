import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** An operator key as stored: never the key, only its hash (kept out of this record) and prefix. */
export interface OperatorKeyRecord {
  id: string;
  name: string | null;
  prefix: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

/** The operator's vault-wide keys (`gv_op_…`), looked up by hash like API keys. */
export class OperatorKeysRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(key: OperatorKeyRecord & { hash: string }): Promise<void> {
    await this.db
      .insertInto("operator_keys")
      .values({
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        hash: key.hash,
        created_at: key.createdAt,
        last_used_at: key.lastUsedAt,
        expires_at: key.expiresAt,
        revoked_at: key.revokedAt,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<OperatorKeyRecord | null> {
    const row = await this.db
      .selectFrom("operator_keys")
      .selectAll()
      .where("hash", "=", hash)
      .executeTakeFirst();
    return row ? toOperatorKey(row) : null;
  }

  async get(id: string): Promise<OperatorKeyRecord | null> {
    const row = await this.db.selectFrom("operator_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toOperatorKey(row) : null;
  }

  async list(): Promise<OperatorKeyRecord[]> {
    const rows = await this.db
      .selectFrom("operator_keys")
      .selectAll()
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toOperatorKey);
  }

  /** False when there is no such key or it was revoked already. */
  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable("operator_keys")
      .set({ revoked_at: at })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records use, at most once per `resolution` ms. */
  async touch(id: string, at: number, resolution: number): Promise<void> {
    await this.db
      .updateTable("operator_keys")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at - resolution)]))
      .execute();
  }
}

function toOperatorKey(row: Database["operator_keys"]): OperatorKeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
