import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
  /** Connection URL of the new, empty database. */
  url: string;
  /** Terminates any remaining connections and drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a fresh, empty database on the server started by the vitest globalSetup.
 *
 * Use one database per test file (create it in `beforeAll`, drop it in `afterAll`): vitest runs
 * test files in parallel worker processes, so a database of its own lets each file run
 * migrations and write data without seeing or clobbering another file's tables, rows or
 * sequences, and without relying on transaction rollbacks that would hide commit-time
 * behaviour. Creating a database is cheap (a copy of template1), and sharing one server
 * keeps the expensive part, initdb and startup, to once per run.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `gv_test_${randomBytes(8).toString("hex")}`;
  const identifier = pg.escapeIdentifier(name);

  await withAdminClient((client) => client.query(`CREATE DATABASE ${identifier}`));

  const url = new URL(inject("postgresAdminUrl"));
  url.pathname = `/${name}`;

  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdminClient(async (client) => {
        await client.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [name],
        );
        await client.query(`DROP DATABASE IF EXISTS ${identifier}`);
      });
    },
  };
}
