import type { Kysely, Migration } from "kysely";

/**
 * Refresh leases (F7): a server process claims a grant's refresh with one short statement and
 * calls the provider with no transaction open, instead of holding an advisory-lock transaction
 * (a pooled connection) for the whole provider call. `expires_at` lets a lease left by a process
 * that died be taken over.
 */
export const refreshLeases: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("refresh_leases")
      .addColumn("grant_id", "text", (c) => c.primaryKey())
      .addColumn("holder", "text", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
  },
};
