import { chmodSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import { migrationProvider } from "./migrations/index.js";
import type { Database } from "./schema.js";

export type Engine = "sqlite" | "postgres";

/** An open database: the query builder plus what only the engine knows. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Where it is, safe to print (no password). */
  location: string;
  close(): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Opens `url`: a `postgres://` URL, or a SQLite file path (created with its directory if absent). */
export function openDatabase(url: string, options: { poolSize?: number } = {}): DatabaseHandle {
  return isPostgresUrl(url) ? openPostgres(url, options.poolSize ?? 10) : openSqlite(url);
}

function openSqlite(path: string): DatabaseHandle {
  const file = resolve(path.replace(/^sqlite:/i, ""));
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(file);
  // Only ciphertext and hashes live here, but still nothing for other users to read.
  // (SQLite gives the -wal and -shm files the database file's mode.)
  chmodSync(file, 0o600);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  // CLI commands may write while the server runs: wait for the lock rather than fail.
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, engine: "sqlite", location: file, close: () => db.destroy() };
}

const INT8_OID = 20;

function openPostgres(url: string, poolSize: number): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // Times and counts are BIGINT; our values stay far below 2^53, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, engine: "postgres", location: redactUrl(url), close: () => db.destroy() };
}

/**
 * Applies every pending migration. Safe to run from several processes at once: PostgreSQL
 * serialises them under Kysely's lock; SQLite's lock is per connection only, so a process that
 * loses the race (another one created the tables first) simply tries again and finds them applied.
 */
export async function migrateToLatest(db: Kysely<Database>, attempts = 3): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (!error)
      return results.filter((result) => result.status === "Success").map((result) => result.migrationName);
    if (attempt >= attempts) {
      const failed = results.find((result) => result.status === "Error");
      throw new Error(`migration ${failed?.migrationName ?? "(unknown)"} failed: ${String(error)}`, {
        cause: error,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

/** True when the database answers a trivial query. */
export async function ping(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable database URL)";
  }
}
