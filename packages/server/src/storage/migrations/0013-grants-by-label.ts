import type { Kysely, Migration } from "kysely";

/**
 * Listing an app's grants of one account (`GET /v1/grants?account=`, without `provider`), newest
 * first, reads only that account's grants. The index of migration 0008 starts with the provider,
 * so without one the only way in was every grant of the app in creation order: measured with a
 * million grants (bench:scale), 8 s on SQLite without planner statistics (which the vault does
 * not gather); PostgreSQL before 18 has no skip-scan either, so at best it walks the app's part of
 * an index. Ordered like the listing, so the newest-first page needs no sort either.
 */
export const grantsByLabel: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex("grants_app_label_created")
      .on("grants")
      .columns(["app_id", "account_identifier", "created_at", "id"])
      .execute();
  },
};
