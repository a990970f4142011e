import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export type CheckpointRow = Database["audit_checkpoints"];

/** Signed tips of the audit chains (F8): written by `audit checkpoints`, read by `audit verify`. */
export class AuditCheckpointsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Records a checkpoint; one of the same (app, seq) already there is kept. */
  async insert(row: CheckpointRow): Promise<void> {
    await this.db
      .insertInto("audit_checkpoints")
      .values(row)
      .onConflict((conflict) => conflict.columns(["app_id", "seq"]).doNothing())
      .execute();
  }

  /** The app's checkpoints (every app's without `appId`), in (app, seq) order. */
  async list(appId?: string): Promise<CheckpointRow[]> {
    let query = this.db.selectFrom("audit_checkpoints").selectAll();
    if (appId !== undefined) query = query.where("app_id", "=", appId);
    const rows = await query.orderBy("app_id").orderBy("seq").execute();
    // PostgreSQL returns bigints as strings.
    return rows.map((row) => ({ ...row, seq: Number(row.seq), created_at: Number(row.created_at) }));
  }

  /** Replaces a checkpoint's MAC (key rotation), only if it is still `expectedMac`. */
  async replaceMac(
    checkpoint: { appId: string; seq: number; expectedMac: string },
    keyId: string,
    mac: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("audit_checkpoints")
      .set({ mac_key_id: keyId, mac })
      .where("app_id", "=", checkpoint.appId)
      .where("seq", "=", checkpoint.seq)
      .where("mac", "=", checkpoint.expectedMac)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** How many checkpoints each master key id MACs. */
  async countByMacKey(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom("audit_checkpoints")
      .select(["mac_key_id", (eb) => eb.fn.countAll<number | string>().as("count")])
      .groupBy("mac_key_id")
      .execute();
    return Object.fromEntries(rows.map((row) => [row.mac_key_id, Number(row.count)]));
  }
}
