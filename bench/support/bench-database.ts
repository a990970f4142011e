import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startPostgresCluster } from "../../test/harness/postgres-cluster.js";
import type { Engine } from "./request-options.js";

/** A fresh, empty database for one engine's run. */
export interface BenchDatabase {
  engine: Engine;
  /** What the vault is given as its database URL (a file path for SQLite). */
  url: string;
  /** For the report, e.g. "PostgreSQL 16.9, throwaway cluster (fsync off)". */
  description: string;
  /** Drops the database (and stops the cluster the bench started). Safe to call twice. */
  drop(): Promise<void>;
}

export function openBenchDatabase(engine: Engine): Promise<BenchDatabase> {
  return engine === "sqlite" ? sqliteDatabase() : postgresDatabase();
}

/** A SQLite file in a fresh temporary directory, as the embedded default uses. */
async function sqliteDatabase(): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "gv-bench-"));
  return {
    engine: "sqlite",
    url: join(dir, "grantvault.db"),
    description: "SQLite file (WAL, synchronous=NORMAL)",
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A new database on TEST_DATABASE_URL (a superuser URL of an existing server, as for the tests)
 * when set, otherwise on a throwaway cluster started from the local PostgreSQL binaries.
 */
async function postgresDatabase(): Promise<BenchDatabase> {
  const existing = process.env.TEST_DATABASE_URL;
  const cluster = existing ? undefined : await startPostgresCluster();
  const adminUrl = existing || (cluster?.adminUrl as string);
  const name = `gv_bench_${randomBytes(8).toString("hex")}`;
  const withAdmin = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  let version: string;
  try {
    version = await withAdmin(async (client) => {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      const result = await client.query<{ server_version: string }>("SHOW server_version");
      return result.rows[0]?.server_version ?? "?";
    });
  } catch (error) {
    await cluster?.stop();
    throw error;
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    engine: "postgres",
    url: url.toString(),
    description: `PostgreSQL ${version.split(" ")[0]} on loopback TCP, ${
      cluster ? "throwaway cluster (fsync and synchronous_commit off)" : "TEST_DATABASE_URL"
    }`,
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        if (!cluster) {
          await withAdmin(async (client) => {
            await client.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
              [name],
            );
            await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)}`);
          });
        }
      } finally {
        // The cluster's data directory goes with it: no need to drop the database first.
        await cluster?.stop();
      }
    },
  };
}
