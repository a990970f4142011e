import { type Kysely, type Migration, sql } from "kysely";

/**
 * Web flows and identity: origins an app may send users back to, connect sessions for popups and
 * redirects (and sign-in sessions for `authenticate()`), and grants bound to a signed-in user.
 */
export const webAndIdentity: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("apps")
      .addColumn("allowed_origins", "text", (c) => c.notNull().defaultTo(sql`'[]'`))
      .execute();
    for (const column of ["allowed_origin", "return_url", "required_scopes", "metadata", "user_subject"]) {
      await db.schema.alterTable("connect_sessions").addColumn(column, "text").execute();
    }
    await db.schema
      .alterTable("connect_sessions")
      .addColumn("kind", "text", (c) => c.notNull().defaultTo("connect"))
      .execute();
    // An `authenticate()` session's result: the sealed ID token, handed to the app once it asks.
    await db.schema.alterTable("connect_sessions").addColumn("user_token", "text").execute();
    await db.schema.alterTable("oauth_states").addColumn("display", "text").execute();
    await db.schema.alterTable("grants").addColumn("user_subject", "text").execute();
    await db.schema
      .createIndex("grants_app_user_provider")
      .on("grants")
      .columns(["app_id", "user_subject", "provider_id"])
      .execute();
  },
};
