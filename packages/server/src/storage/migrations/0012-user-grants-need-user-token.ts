import { type Kysely, type Migration, sql } from "kysely";

/**
 * F6: whether a grant bound to a user may be used only with that user's token. On (1) for every
 * app, existing ones included: a user-bound grant used by id with the API key alone was a hole,
 * not a feature. The operator may turn it off per app (audited). An integer 1/0, not a boolean:
 * the same column and the same values on SQLite (which has no boolean type) and PostgreSQL.
 */
export const userGrantsNeedUserToken: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable("apps")
      .addColumn("user_grants_need_user_token", "integer", (c) => c.notNull().defaultTo(sql`1`))
      .execute();
  },
};
