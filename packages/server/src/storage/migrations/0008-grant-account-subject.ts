import { type Kysely, type Migration, SqliteAdapter, sql } from "kysely";

/**
 * Grants belong to the provider's permanent account subject (F1), no longer to the account
 * identifier, which becomes a label: a provider may hand the same email or login to another
 * account. `account_subject` is null for grants made before this migration until their next
 * reconnect records it (save-connected-grant.ts). The unique key is on live grants only: a revoked
 * grant stays revoked, and a reconnect after it makes a new grant. One live grant per subject
 * *and* owner (the signed-in user, or none): a grant never moves to another user.
 */
export const grantAccountSubject: Migration = {
  async up(db: Kysely<unknown>) {
    if (db.getExecutor().adapter instanceof SqliteAdapter) {
      await rebuildSqliteGrants(db);
      return;
    }
    await db.schema.alterTable("grants").dropConstraint("grants_app_provider_account").execute();
    await db.schema.alterTable("grants").addColumn("account_subject", "text").execute();
    await createAccountIndexes(db);
  },
};

async function createAccountIndexes(db: Kysely<unknown>): Promise<void> {
  await sql`create unique index grants_live_account on grants (app_id, provider_id, account_subject, coalesce(user_subject, '')) where status <> 'revoked' and account_subject is not null`.execute(
    db,
  );
  // Listing by label, and finding a not yet migrated grant by it, still use the old key's columns.
  await db.schema
    .createIndex("grants_app_provider_label")
    .on("grants")
    .columns(["app_id", "provider_id", "account_identifier"])
    .execute();
}

/**
 * SQLite cannot drop a table constraint: the table is rebuilt (sqlite.org/lang_altertable.html,
 * "other kinds of table schema changes"). Foreign keys are off meanwhile, or dropping the old table
 * would cascade to every grant's credentials. Migrations on SQLite run outside a transaction
 * (no transactional DDL in Kysely's adapter), so this one takes its own.
 */
async function rebuildSqliteGrants(db: Kysely<unknown>): Promise<void> {
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      await db.schema
        .createTable("grants_rebuilt")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("app_id", "text", (c) => c.notNull().references("apps.id").onDelete("cascade"))
        .addColumn("provider_id", "text", (c) => c.notNull())
        .addColumn("account_identifier", "text", (c) => c.notNull())
        .addColumn("scopes", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .addColumn("last_used_at", "bigint")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("grant_policy", "text")
        .addColumn("status_reason", "text")
        .addColumn("user_subject", "text")
        .addColumn("account_subject", "text")
        .execute();
      await sql`insert into grants_rebuilt (id, app_id, provider_id, account_identifier, scopes, status, expires_at, last_used_at, created_at, updated_at, grant_policy, status_reason, user_subject) select id, app_id, provider_id, account_identifier, scopes, status, expires_at, last_used_at, created_at, updated_at, grant_policy, status_reason, user_subject from grants`.execute(
        db,
      );
      await db.schema.dropTable("grants").execute();
      await db.schema.alterTable("grants_rebuilt").renameTo("grants").execute();
      await db.schema
        .createIndex("grants_app_created")
        .on("grants")
        .columns(["app_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("grants_app_user_provider")
        .on("grants")
        .columns(["app_id", "user_subject", "provider_id"])
        .execute();
      await createAccountIndexes(db);
      const broken = await sql`pragma foreign_key_check`.execute(db);
      if (broken.rows.length > 0) throw new Error("rebuilding grants broke a foreign key");
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}
