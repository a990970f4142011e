import { createHash, randomBytes } from "node:crypto";
import { type Kysely, type Migration, sql } from "kysely";

/**
 * The keyed audit chain (F8): a MAC and its master key id on every new row (rows written before
 * stay unkeyed: legacy, accepted before a chain's first keyed row), and the table of signed
 * checkpoints of chain tips. Every app without audit events gets a legacy `app.created` row, so
 * that from now on an app without a chain means a deleted chain.
 */
export const auditMac: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("audit_events").addColumn("mac_key_id", "text").execute();
    await db.schema.alterTable("audit_events").addColumn("mac", "text").execute();
    await db.schema
      .createTable("audit_checkpoints")
      .addColumn("app_id", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("mac_key_id", "text", (c) => c.notNull())
      .addColumn("mac", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("audit_checkpoints_pkey", ["app_id", "seq"])
      .execute();

    const { rows } = await sql<{ id: string; created_at: number | string }>`
      select id, created_at from apps
      where not exists (select 1 from audit_events where audit_events.app_id = apps.id)`.execute(db);
    for (const app of rows) {
      const row = {
        id: `evt_${randomBytes(12).toString("hex")}`,
        app_id: app.id,
        seq: 1,
        created_at: Number(app.created_at),
        type: "app.created",
        outcome: "ok",
        details: JSON.stringify({ recorded_by: "migration 0011" }),
        prev_hash: "0".repeat(64),
      };
      // The chain's hash as chain-link.ts computes it, frozen here: a migration never changes.
      const hash = createHash("sha256")
        .update(
          JSON.stringify([
            row.prev_hash,
            row.id,
            row.app_id,
            row.seq,
            row.created_at,
            row.type,
            row.outcome,
            null,
            null,
            null,
            null,
            null,
            row.details,
          ]),
        )
        .digest("hex");
      await sql`insert into audit_events (id, app_id, seq, created_at, type, outcome, details, prev_hash, hash)
        values (${row.id}, ${row.app_id}, ${row.seq}, ${row.created_at}, ${row.type}, ${row.outcome}, ${row.details}, ${row.prev_hash}, ${hash})`.execute(
        db,
      );
    }
  },
};
