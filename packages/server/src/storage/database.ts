import { chmodSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import SQLite from "better-sqlite3";
import {
  Kysely,
  Migrator,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase,
  SqliteDialect,
  sql,
} from "kysely";
import type pgModule from "pg";
import { VaultError } from "../errors.js";
import { LruMap } from "../lru-map.js";
import { migrationProvider } from "./migrations/index.js";
import { preparedStatementName } from "./prepared-query.js";
import type { Database } from "./schema.js";
import { type Checkpointer, startCheckpointer } from "./sqlite-checkpointer.js";

export type Engine = "sqlite" | "postgres";

/**
 * The PostgreSQL driver, loaded on first use: the embedded default (SQLite) never needs it, and
 * loading it costs a tenth of the server's start. It is CommonJS, so a synchronous require does.
 */
let pgDriver: typeof pgModule | undefined;
function pg(): typeof pgModule {
  pgDriver ??= createRequire(import.meta.url)("pg") as typeof pgModule;
  return pgDriver;
}

/** An open database: the query builder plus what only the engine knows. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Where it is, safe to print (no password). */
  location: string;
  /**
   * Cross-process notifications (PostgreSQL LISTEN/NOTIFY); absent for SQLite, whose single
   * server process notifies itself in memory.
   */
  pubsub?: PubSub;
  /** SQLite opened with `backgroundCheckpoints`: the worker that checkpoints. */
  checkpointer?: Checkpointer;
  /** PostgreSQL: the pool's connections now; absent for SQLite (one connection, no pool). */
  poolUse?: () => PoolUse;
  close(): Promise<void>;
}

/** A connection pool's state: connections open, of them idle, and queries waiting for one. */
export interface PoolUse {
  total: number;
  idle: number;
  waiting: number;
}

export interface PubSub {
  /** Calls `onMessage` with each payload sent on `channel` by any process; resolves once listening. */
  listen(channel: string, onMessage: (payload: string) => void): Promise<void>;
  /** Sends `payload` to every listener of `channel`, in every process. */
  notify(channel: string, payload: string): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export interface OpenOptions {
  /** PostgreSQL: connections in the pool (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL: how long a query waits for a free pooled connection before it fails with
   * `database_busy` (default 15 s), instead of queueing without bound (F7).
   */
  acquireTimeoutMs?: number;
  /**
   * SQLite: write the log back into the database file on a worker thread (sqlite-checkpointer.ts)
   * instead of on this thread's writes. For the long-running server; a CLI command has no need.
   */
  backgroundCheckpoints?: boolean;
  /** Told when the checkpoint worker failed (this connection then checkpoints by itself again). */
  onCheckpointFailure?: (reason: string) => void;
}

/** Opens `url`: a `postgres://` URL, or a SQLite file path (created with its directory if absent). */
export function openDatabase(url: string, options: OpenOptions = {}): DatabaseHandle {
  return isPostgresUrl(url)
    ? openPostgres(url, options.poolSize ?? 10, options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS)
    : openSqlite(url, options.backgroundCheckpoints ? (options.onCheckpointFailure ?? (() => {})) : null);
}

/** How long a PostgreSQL query waits for a pooled connection, unless configured. */
export const DEFAULT_ACQUIRE_TIMEOUT_MS = 15_000;

/** `onCheckpointFailure` non-null: checkpoints run on a worker thread. */
function openSqlite(path: string, onCheckpointFailure: ((reason: string) => void) | null): DatabaseHandle {
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
  let checkpointer: Checkpointer | null = null;
  if (onCheckpointFailure) {
    sqlite.pragma("wal_autocheckpoint = 0");
    checkpointer = startCheckpointer(file, (reason) => {
      // Never a log that grows without bound: this connection checkpoints again, as by default.
      if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
      onCheckpointFailure(reason);
    });
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    engine: "sqlite",
    location: file,
    ...(checkpointer ? { checkpointer } : {}),
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** Distinct SQL texts kept prepared; the vault issues a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; compiling the SQL again costs more than running it. The same
 * text yields the same statement, so keep the prepared ones (least recently used go first). Safe
 * because the vault never iterates a statement lazily: `all()` and `run()` finish before the next
 * query starts.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const prepared = new LruMap<string, SQLite.Statement>(STATEMENT_CACHE_SIZE);
  return {
    close: () => sqlite.close(),
    prepare(text: string) {
      let statement = prepared.get(text);
      if (!statement) {
        statement = sqlite.prepare(text);
        prepared.set(text, statement);
      }
      return statement;
    },
  };
}

const INT8_OID = 20;

function openPostgres(url: string, poolSize: number, acquireTimeoutMs: number): DatabaseHandle {
  const pool = new (pg().Pool)({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: acquireTimeoutMs,
    // Times and counts are BIGINT; our values stay far below 2^53, so read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg().types.getTypeParser(oid, format as "text")) as typeof pgModule.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withNamedStatements(pool) }) });
  const pubsub = new PostgresPubSub(url, pool);
  return {
    db,
    engine: "postgres",
    location: redactUrl(url),
    pubsub,
    poolUse: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await pubsub.close();
      await db.destroy();
    },
  };
}

/**
 * Runs prepared queries (prepared-query.ts) as named statements, which PostgreSQL parses and
 * plans once per connection (node-postgres remembers which it already prepared); other queries
 * pass through unchanged.
 */
function withNamedStatements(pool: pgModule.Pool): PostgresPool {
  const wrapped = new WeakMap<pgModule.PoolClient, PostgresPoolClient>();
  const wrap = (client: pgModule.PoolClient): PostgresPoolClient => {
    let wrapper = wrapped.get(client);
    if (!wrapper) {
      wrapper = {
        // Kysely passes SQL text and values, or a cursor (which is never a prepared query).
        query: ((text: string, values?: unknown[]) => {
          const name = typeof text === "string" ? preparedStatementName(text) : undefined;
          return name === undefined
            ? client.query(text, values)
            : client.query({ name, text, values: values ?? [] });
        }) as unknown as PostgresPoolClient["query"],
        release: (destroy?: boolean) => client.release(destroy),
      };
      wrapped.set(client, wrapper);
    }
    return wrapper;
  };
  const connect = async () => {
    try {
      return wrap(await pool.connect());
    } catch (error) {
      // No connection became free in time (pg-pool's queue timeout): an answer the caller can
      // retry, not an internal error. The one storage error with an HTTP code of its own, since
      // only the pool knows it happened.
      if (error instanceof Error && error.message === "timeout exceeded when trying to connect") {
        throw new VaultError("database_busy", { cause: error });
      }
      throw error;
    }
  };
  return { connect, end: () => pool.end() };
}

/**
 * LISTEN on one dedicated connection (a pooled one would be handed to other queries); NOTIFY
 * through the pool. When the listening connection drops, it reconnects and listens again; a
 * notification sent while it was down is lost, which is why waiters also re-read on timeout.
 */
class PostgresPubSub implements PubSub {
  readonly #handlers = new Map<string, Set<(payload: string) => void>>();
  #client: pgModule.Client | null = null;
  #connecting: Promise<pgModule.Client> | null = null;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly pool: pgModule.Pool,
  ) {}

  async listen(channel: string, onMessage: (payload: string) => void): Promise<void> {
    const handlers = this.#handlers.get(channel) ?? new Set();
    const first = handlers.size === 0;
    handlers.add(onMessage);
    this.#handlers.set(channel, handlers);
    const client = await this.#connect();
    if (first) await client.query(`LISTEN ${pg().escapeIdentifier(channel)}`);
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  #connect(): Promise<pgModule.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= (async () => {
      const client = new (pg().Client)({ connectionString: this.url });
      client.on("notification", (message) => {
        for (const handler of this.#handlers.get(message.channel) ?? []) handler(message.payload ?? "");
      });
      client.on("error", () => this.#reconnectSoon(client));
      client.on("end", () => this.#reconnectSoon(client));
      await client.connect();
      for (const channel of this.#handlers.keys())
        await client.query(`LISTEN ${pg().escapeIdentifier(channel)}`);
      this.#client = client;
      return client;
    })().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  #reconnectSoon(client: pgModule.Client): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = null;
    setTimeout(() => void this.#connect().catch(() => this.#reconnectSoon(client)), 1_000).unref();
  }
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

/** Migrations this build knows and the database has not applied, by name (read only). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  const migrations = await new Migrator({ db, provider: migrationProvider }).getMigrations();
  return migrations
    .filter((migration) => migration.executedAt === undefined)
    .map((migration) => migration.name);
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
