import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { createTestDatabase } from "./postgres.js";

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await admin.connect();
  try {
    const result = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    return result.rowCount === 1;
  } finally {
    await admin.end();
  }
}

describe("postgres test harness", () => {
  it("creates a usable database and drops it again", async () => {
    const db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^gv_test_[0-9a-f]+$/);
    expect(await databaseExists(name)).toBe(true);

    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        const current = await client.query<{ name: string }>("SELECT current_database() AS name");
        expect(current.rows[0]?.name).toBe(name);

        await client.query("CREATE TABLE widgets (id serial PRIMARY KEY, label text NOT NULL)");
        await client.query("INSERT INTO widgets (label) VALUES ($1)", ["sprocket"]);
        const rows = await client.query<{ id: number; label: string }>("SELECT id, label FROM widgets");
        expect(rows.rows).toEqual([{ id: 1, label: "sprocket" }]);
      } finally {
        await client.end();
      }
    } finally {
      await db.drop();
    }

    expect(await databaseExists(name)).toBe(false);
  });

  it("drops a database that still has open connections", async () => {
    const db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);

    const client = new pg.Client({ connectionString: db.url });
    // drop() terminates this backend; swallow the resulting connection error.
    client.on("error", () => {});
    await client.connect();
    await client.query("SELECT 1");

    await db.drop();
    await db.drop(); // idempotent
    await client.end().catch(() => {});

    expect(await databaseExists(name)).toBe(false);
  });
});
