import type { Kysely, Migration } from "kysely";

/** Connect sessions, their single-use OAuth states, and the grant policy a grant was made under. */
export const connectSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("connect_sessions")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("app_id", "text", (c) => c.notNull().references("apps.id").onDelete("cascade"))
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("confirmation_code", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("allowed_providers", "text", (c) => c.notNull())
      .addColumn("grant_policy", "text")
      .addColumn("results", "text")
      .addColumn("error_code", "text")
      .addColumn("error_message", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("connect_sessions_app_id").on("connect_sessions").column("app_id").execute();

    await db.schema
      .createTable("oauth_states")
      .addColumn("state_hash", "text", (c) => c.primaryKey())
      .addColumn("session_id", "text", (c) =>
        c.notNull().references("connect_sessions.id").onDelete("cascade"),
      )
      .addColumn("provider_id", "text", (c) => c.notNull())
      .addColumn("code_verifier", "text")
      .addColumn("nonce", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("oauth_states_session_id").on("oauth_states").column("session_id").execute();

    await db.schema.alterTable("grants").addColumn("grant_policy", "text").execute();
  },
};
