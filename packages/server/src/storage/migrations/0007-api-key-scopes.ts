import { type Kysely, type Migration, sql } from "kysely";

/**
 * API keys get scopes (F4, F5): `admin` to manage the app's keys, `retrieve` to be handed tokens
 * (retrieve mode). Keys issued before this keep both, so nothing that worked stops working; new
 * keys get what their creator asks for. `created_by` names the key that minted a key (null: the
 * operator, from the CLI or at first start).
 */
export const apiKeyScopes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("api_keys")
      .addColumn("scopes", "text", (c) => c.notNull().defaultTo(sql`'admin retrieve'`))
      .execute();
    await db.schema.alterTable("api_keys").addColumn("created_by", "text").execute();
  },
};
