import { type Kysely, type Migration, sql } from "kysely";

/**
 * Issue 15: the control plane lives in the database. Providers and identity providers belong to an
 * app, each with its OAuth client; the client secret is sealed with the key ring like tokens (and
 * listed in SEALED_FIELDS, so key rotation re-seals it). Apps can be disabled. Grants and connect
 * sessions carry per-connection parameters (a tenant, a shop) that fill the provider's URLs.
 */
export const controlPlane: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("providers")
      // A single-column key: key rotation addresses sealed rows by one id.
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("app_id", "text", (c) => c.notNull().references("apps.id").onDelete("cascade"))
      .addColumn("provider_id", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      /** The provider document without its client secret (JSON). */
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("client_secret", "text", (c) => c.notNull())
      .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(sql`1`))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addUniqueConstraint("providers_app_provider", ["app_id", "provider_id"])
      .execute();

    await db.schema
      .createTable("identity_providers")
      .addColumn("app_id", "text", (c) => c.primaryKey().references("apps.id").onDelete("cascade"))
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("client_secret", "text", (c) => c.notNull())
      .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(sql`1`))
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();

    await db.schema.alterTable("apps").addColumn("disabled_at", "bigint").execute();
    await db.schema.alterTable("grants").addColumn("connection_params", "text").execute();
    await db.schema.alterTable("connect_sessions").addColumn("connection_params", "text").execute();
  },
};
