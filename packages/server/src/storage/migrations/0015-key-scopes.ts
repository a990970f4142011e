import type { Kysely, Migration } from "kysely";

/**
 * Scoped keys (issue 15): `admin`, `connect`, `use`, `proxy`, `read` replace `admin` and
 * `retrieve`. Every key keeps what it could do: every key could create connect sessions, use
 * grants in proxy mode and read grants and audit rows (`connect proxy read`); `retrieve` becomes
 * `use`; `admin` stays. So the keys of before, which had both, are full keys.
 *
 * Keys get an optional expiry and a reversible `disabled_at` (revoked_at stays the permanent
 * delete). Operator keys (`gv_op_…`) are the vault's own, belong to no app and manage the control
 * plane: stored like API keys, as a hash and a display prefix only.
 *
 * The `scopes` column keeps the default 0007 gave it (SQLite cannot change a default in place);
 * the vault always writes the scopes it means.
 */
export const keyScopes: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("api_keys").addColumn("expires_at", "bigint").execute();
    await db.schema.alterTable("api_keys").addColumn("disabled_at", "bigint").execute();
    const keys = db as unknown as Kysely<{ api_keys: { id: string; scopes: string } }>;
    const rows = await keys.selectFrom("api_keys").select(["id", "scopes"]).execute();
    for (const row of rows) {
      await keys
        .updateTable("api_keys")
        .set({ scopes: migratedScopes(row.scopes) })
        .where("id", "=", row.id)
        .execute();
    }

    await db.schema
      .createTable("operator_keys")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text")
      .addColumn("prefix", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("last_used_at", "bigint")
      .addColumn("expires_at", "bigint")
      .addColumn("revoked_at", "bigint")
      .execute();
  },
};

/** The new scope list of a key stored with the 0007 scopes (space-separated `admin retrieve`). */
export function migratedScopes(stored: string): string {
  const old = new Set(stored.split(" "));
  return [
    ...(old.has("admin") ? ["admin"] : []),
    "connect",
    ...(old.has("retrieve") ? ["use"] : []),
    "proxy",
    "read",
  ].join(" ");
}
