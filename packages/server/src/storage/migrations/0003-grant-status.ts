import type { Kysely, Migration } from "kysely";

/** Why a grant stopped being active, and an index for listing an app's grants newest first. */
export const grantStatus: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("grants").addColumn("status_reason", "text").execute();
    await db.schema
      .createIndex("grants_app_created")
      .on("grants")
      .columns(["app_id", "created_at", "id"])
      .execute();
  },
};
