import type { Kysely, Migration } from "kysely";

/**
 * Issue 15 item 2: an OAuth flow remembers the connection parameters it was started with (a
 * tenant the session gave, or the user typed on the Connect page), so the callback exchanges the
 * code at that tenant's token URL and the grant keeps them. JSON object text, null when none.
 */
export const flowConnectionParams: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("oauth_states").addColumn("connection_params", "text").execute();
  },
};
