import type { Kysely, Migration } from "kysely";

/**
 * OAuth flows are bound to the browser that started them (F2, RFC 9700 §4.7.1): the Connect page's
 * start sets a random cookie and its SHA-256 is kept with the state; the callback wants it back.
 * States stored before this have none and are refused at the callback (they live 10 minutes).
 */
export const flowBrowserBinding: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("oauth_states").addColumn("browser_binding_hash", "text").execute();
  },
};
