import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import SQLite from "better-sqlite3";
import pg from "pg";
import { isPostgresUrl } from "../../packages/server/src/storage/database.js";

/**
 * Fills a vault's database with many grants quickly, for the scale bench (and by hand, see
 * bench/seed-grants.ts): one `INSERT … SELECT` over a generated sequence per batch (a recursive
 * CTE on SQLite, generate_series on PostgreSQL), grants and their credentials rows in one
 * transaction per batch. It writes the tables directly, beside the vault's query layer, because
 * the point is a million rows in seconds, not a million API calls.
 *
 * The rows copy an existing grant of the app (the template: the newest one that has credentials):
 * its scopes, expiry, policy and sealed credential, so rows have the sizes real ones have. A
 * sealed value is bound to its grant id, so a seeded grant's credential does not open: seeded
 * grants are there to be stored, indexed and listed, not used.
 *
 * Spread so that indexes see a realistic cardinality: every grant its own account subject (which
 * keeps `grants_live_account` unique), labels from a few thousand account identifiers, two
 * provider ids, one grant in ten bound to one of a few thousand signed-in users, a few revoked or
 * needing re-authorization, creation times 30 s apart before the template's. Ids have the
 * vault's format (`grant_` and 24 lowercase hex digits): a random prefix per call, then the row
 * number times a large odd constant, so the credentials statement finds the same ids without
 * reading them. Ids, subjects and creation times follow the row number, so each index is filled
 * in order rather than at random places: a million rows take seconds instead of minutes (the
 * vault's own ids are random; a B-tree filled in order is fuller, not deeper).
 */

export interface SeedOptions {
  databaseUrl: string;
  appId: string;
  /** Grants to add. */
  grants: number;
  /** Rows per INSERT (and per transaction). */
  batchSize?: number;
  /** Told after each batch: rows added so far. */
  onBatch?: (added: number) => void;
}

export interface SeedResult {
  /** Grants added (each with its credentials row). */
  grants: number;
  ms: number;
  /** Grants per second (credentials rows come on top). */
  rowsPerSecond: number;
}

/** Distinct values of the spread columns (see above). */
export const SEED_SPREAD = {
  accountIdentifiers: 5000,
  userSubjects: 2000,
  providers: ["idp", "bench-other"],
  /** Grant n was made this many ms × n before the template (a million over 11 months). */
  createdStepMs: 30_000,
} as const;

const DEFAULT_BATCH = 20_000;

/** The template's columns that the seeded rows copy. */
interface Template {
  scopes: string;
  expires_at: number | null;
  grant_policy: string | null;
  created_at: number;
  secret: string;
}

const TEMPLATE_SQL = `select g.scopes, g.expires_at, g.grant_policy, g.created_at, c.secret
  from grants g join credentials c on c.grant_id = g.id
  where g.app_id = $app order by g.created_at desc, g.id desc limit 1`;

/** How a statement names a parameter: `$name` on SQLite, `$k::type` on PostgreSQL. */
type Parameter = (name: ParameterName) => string;
type ParameterName =
  | "from"
  | "to"
  | "prefix"
  | "app"
  | "scopes"
  | "expiresAt"
  | "policy"
  | "createdAt"
  | "secret";

/**
 * The row expressions, the same on both engines (64-bit integers: n times the constant stays
 * below 2^63 for every n allowed). `n` counts from 1 within one call.
 */
function rowExpressions(p: Parameter, hex16: (value: string) => string) {
  const [first, second] = SEED_SPREAD.providers;
  const createdAt = `${p("createdAt")} - n * ${SEED_SPREAD.createdStepMs}`;
  return {
    id: `'grant_' || ${p("prefix")} || ${hex16("n * 2654435761")}`,
    provider: `case when n % 2 = 0 then '${first}' else '${second}' end`,
    identifier: `'seed-' || (n % ${SEED_SPREAD.accountIdentifiers}) || '@example.com'`,
    subject: `'seed-subject-' || ${p("prefix")} || '-' || ${hex16("n")}`,
    status: "case when n % 50 = 0 then 'revoked' when n % 97 = 0 then 'reauth_required' else 'active' end",
    reason:
      "case when n % 50 = 0 then 'revoked by the app' when n % 97 = 0 then 'invalid_grant' else null end",
    createdAt,
    userSubject: `case when n % 10 = 0 then 'seed-user-' || (n % ${SEED_SPREAD.userSubjects}) else null end`,
  };
}

/** One of the two statements of a batch, for one engine's parameters and sequence. */
function batchStatement(
  which: "grants" | "credentials",
  p: Parameter,
  hex16: (value: string) => string,
  sequence: string,
): string {
  const rows = rowExpressions(p, hex16);
  if (which === "credentials") {
    return `${sequence}
      insert into credentials (grant_id, secret, updated_at)
      select ${rows.id}, ${p("secret")}, ${rows.createdAt} from seq`;
  }
  return `${sequence}
    insert into grants (id, app_id, provider_id, account_identifier, account_subject, scopes, status,
      expires_at, last_used_at, created_at, updated_at, grant_policy, status_reason, user_subject)
    select ${rows.id}, ${p("app")}, ${rows.provider}, ${rows.identifier}, ${rows.subject}, ${p("scopes")},
      ${rows.status}, ${p("expiresAt")}, null, ${rows.createdAt}, ${rows.createdAt}, ${p("policy")},
      ${rows.reason}, ${rows.userSubject}
    from seq`;
}

/** Adds `grants` grants (and credentials rows) to the app; see the module comment. */
export async function seedGrants(options: SeedOptions): Promise<SeedResult> {
  if (!Number.isInteger(options.grants) || options.grants < 0 || options.grants > 10_000_000) {
    throw new Error(`grants must be a whole number from 0 to 10000000, got ${options.grants}`);
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const prefix = randomBytes(4).toString("hex");
  const startedAt = performance.now();
  const seeder = isPostgresUrl(options.databaseUrl)
    ? await postgresSeeder(options.databaseUrl)
    : sqliteSeeder(options.databaseUrl);
  try {
    const template = await seeder.template(options.appId);
    for (let from = 1; from <= options.grants; from += batchSize) {
      const to = Math.min(options.grants, from + batchSize - 1);
      await seeder.batch({ from, to, prefix, app: options.appId, template });
      options.onBatch?.(to);
      // SQLite's batches run on this thread: let timers and sockets have their turn between them.
      // A server that kept a connection idle past its keep-alive time closes it now, not as the
      // next request arrives on it (which the client would see as ECONNRESET).
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    await seeder.close();
  }
  const ms = performance.now() - startedAt;
  return { grants: options.grants, ms, rowsPerSecond: options.grants / (ms / 1000) };
}

/**
 * Statistics for the query planner, as an operator's vault would have them (SQLite: ANALYZE, which
 * `PRAGMA optimize` runs when tables have grown; PostgreSQL: what autovacuum does after a bulk
 * insert, VACUUM (ANALYZE), done now so it does not run during a measurement). Returns the ms taken.
 */
export async function analyzeDatabase(databaseUrl: string): Promise<number> {
  const startedAt = performance.now();
  const seeder = isPostgresUrl(databaseUrl) ? await postgresSeeder(databaseUrl) : sqliteSeeder(databaseUrl);
  try {
    await seeder.analyze();
  } finally {
    await seeder.close();
  }
  return performance.now() - startedAt;
}

interface BatchArguments {
  from: number;
  to: number;
  prefix: string;
  app: string;
  template: Template;
}

interface Seeder {
  template(appId: string): Promise<Template>;
  batch(args: BatchArguments): Promise<void>;
  analyze(): Promise<void>;
  close(): Promise<void>;
}

function noTemplate(appId: string): Error {
  return new Error(`app ${appId} has no grant with credentials to copy; connect one account first`);
}

/** The values of a batch's parameters. */
function parameterValues({
  from,
  to,
  prefix,
  app,
  template,
}: BatchArguments): Record<ParameterName, unknown> {
  return {
    from,
    to,
    prefix,
    app,
    scopes: template.scopes,
    expiresAt: template.expires_at,
    policy: template.grant_policy,
    createdAt: template.created_at,
    secret: template.secret,
  };
}

/** A second connection to the vault's file (WAL: the vault's own connection keeps working). */
function sqliteSeeder(path: string): Seeder {
  const sqlite = new SQLite(path.replace(/^sqlite:/i, ""));
  sqlite.pragma("busy_timeout = 10000");
  // A large page cache for this connection only: inserts land all over six indexes.
  sqlite.pragma("cache_size = -262144");
  // Each statement is given exactly the parameters it names.
  const statement = (text: (p: Parameter) => string) => {
    const used = new Set<ParameterName>();
    const prepared = sqlite.prepare(
      text((name) => {
        used.add(name);
        return `$${name}`;
      }),
    );
    return (values: Record<ParameterName, unknown>) =>
      prepared.run(Object.fromEntries([...used].map((name) => [name, values[name]])));
  };
  const sequence = (p: Parameter) =>
    `with recursive seq(n) as (select ${p("from")} union all select n + 1 from seq where n < ${p("to")})`;
  const hex16 = (value: string) => `printf('%016x', ${value})`;
  const grants = statement((p) => batchStatement("grants", p, hex16, sequence(p)));
  const credentials = statement((p) => batchStatement("credentials", p, hex16, sequence(p)));
  const batch = sqlite.transaction((values: Record<ParameterName, unknown>) => {
    grants(values);
    credentials(values);
  });
  return {
    async template(appId) {
      const row = sqlite.prepare(TEMPLATE_SQL.replace("$app", "?")).get(appId) as Template | undefined;
      if (!row) throw noTemplate(appId);
      return row;
    },
    async batch(args) {
      batch(parameterValues(args));
    },
    async analyze() {
      sqlite.exec("analyze");
      // Other connections (the vault's) read the statistics with the schema, and read the schema
      // again only when it changed: a table made and dropped tells them, and their prepared
      // statements are planned again, as after a restart.
      sqlite.exec("create table gv_seed_stats_reload (x); drop table gv_seed_stats_reload;");
      // The log holds every seeded page: copy it back now rather than during a measurement.
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
    },
    async close() {
      sqlite.close();
    },
  };
}

const POSTGRES_TYPES: Record<ParameterName, string> = {
  from: "bigint",
  to: "bigint",
  prefix: "text",
  app: "text",
  scopes: "text",
  expiresAt: "bigint",
  policy: "text",
  createdAt: "bigint",
  secret: "text",
};

async function postgresSeeder(url: string): Promise<Seeder> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // Positional parameters, numbered in order of first use, each cast to its column's type.
  const statement = (text: (p: Parameter) => string) => {
    const order: ParameterName[] = [];
    const sql = text((name) => {
      if (!order.includes(name)) order.push(name);
      return `$${order.indexOf(name) + 1}::${POSTGRES_TYPES[name]}`;
    });
    return (values: Record<ParameterName, unknown>) =>
      client.query(
        sql,
        order.map((name) => values[name]),
      );
  };
  const sequence = (p: Parameter) => `with seq(n) as (select generate_series(${p("from")}, ${p("to")}))`;
  const hex16 = (value: string) => `lpad(to_hex(${value}), 16, '0')`;
  const grants = statement((p) => batchStatement("grants", p, hex16, sequence(p)));
  const credentials = statement((p) => batchStatement("credentials", p, hex16, sequence(p)));
  return {
    async template(appId) {
      const result = await client.query<Template>(TEMPLATE_SQL.replace("$app", "$1"), [appId]);
      const row = result.rows[0];
      if (!row) throw noTemplate(appId);
      // bigint columns arrive as strings.
      return {
        ...row,
        created_at: Number(row.created_at),
        expires_at: row.expires_at === null ? null : Number(row.expires_at),
      };
    },
    async batch(args) {
      const values = parameterValues(args);
      await client.query("begin");
      try {
        await grants(values);
        await credentials(values);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw error;
      }
    },
    async analyze() {
      await client.query("vacuum (analyze) grants, credentials");
    },
    async close() {
      await client.end();
    },
  };
}
