import { type Kysely, type Migration, SqliteAdapter, sql } from "kysely";

/**
 * The audit table keyed by its chain position (app, seq) instead of the event id. Every credential
 * and proxied call appends a row, and each index is one more page written per row: the id's (its
 * keys random, so a different page every time) served no query. Event ids stay unique by their 96
 * random bits. On SQLite the table is rebuilt WITHOUT ROWID, the key being the table itself: an
 * append writes about 3 pages to the log instead of 5.
 */
export const auditChainKey: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await db.schema
        .createTable("audit_events_by_seq")
        .addColumn("id", "text", (c) => c.notNull())
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
        .addPrimaryKeyConstraint("audit_events_pkey", ["app_id", "seq"])
        .modifyEnd(sql`without rowid`)
        .execute();
      await sql`insert into audit_events_by_seq select id, app_id, seq, created_at, type, outcome, grant_id, provider_id, api_key_prefix, reason, context, details, prev_hash, hash from audit_events`.execute(
        db,
      );
      await db.schema.dropTable("audit_events").execute();
      await db.schema.alterTable("audit_events_by_seq").renameTo("audit_events").execute();
      await db.schema
        .createIndex("audit_events_app_grant")
        .on("audit_events")
        .columns(["app_id", "grant_id"])
        .execute();
      return;
    }
    await db.schema.alterTable("audit_events").dropConstraint("audit_events_pkey").execute();
    await db.schema.alterTable("audit_events").dropConstraint("audit_events_app_seq").execute();
    await db.schema
      .alterTable("audit_events")
      .addPrimaryKeyConstraint("audit_events_pkey", ["app_id", "seq"])
      .execute();
  },
};
