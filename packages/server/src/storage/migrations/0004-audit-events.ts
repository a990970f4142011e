import type { Kysely, Migration } from "kysely";

/** The append-only, hash-chained audit log (one chain per app). */
export const auditEvents: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("audit_events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("app_id", "text", (c) => c.notNull())
      .addColumn("seq", "bigint", (c) => c.notNull())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("outcome", "text", (c) => c.notNull())
      .addColumn("grant_id", "text")
      .addColumn("provider_id", "text")
      .addColumn("api_key_prefix", "text")
      .addColumn("reason", "text")
      .addColumn("context", "text")
      .addColumn("details", "text")
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      // Two appends racing for the same place in an app's chain: one of them fails, never both land.
      .addUniqueConstraint("audit_events_app_seq", ["app_id", "seq"])
      .execute();
    await db.schema
      .createIndex("audit_events_app_grant")
      .on("audit_events")
      .columns(["app_id", "grant_id"])
      .execute();
  },
};
