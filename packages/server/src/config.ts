import { resolve } from "node:path";
import { LOCAL_DATA_DIR, MAX_WAIT_SECONDS } from "@grantvault/protocol";
import { z } from "zod";
import { findLocalDataDir } from "./local-vault.js";
import { isLoopbackHost } from "./net.js";
import { isPostgresUrl } from "./storage/database.js";

/**
 * Server configuration: every setting, its environment variable, its command-line flag and its
 * default, validated in one place. Flags win over the environment. Unknown `GRANTVAULT_*`
 * variables and unknown flags are errors, and every problem is reported at once.
 */
export interface ServerConfig {
  host: string;
  port: number;
  /** The origin users' browsers and providers reach the vault at, without a trailing slash. */
  publicUrl: string;
  dataDir: string;
  /**
   * How the data directory was chosen: a setting; `found`, an existing `.grantvault` in the
   * working directory or a folder above; `default`, none yet (`serve` creates `./.grantvault`).
   */
  dataDirSource: "setting" | "found" | "default";
  /** A `postgres://` URL or an absolute SQLite file path. */
  databaseUrl: string;
  /** `id:base64` entries; absent means the key file in the data dir (embedded default only). */
  masterKey: string | undefined;
  logLevel: LogLevel;
  /** JSON file of the providers the vault offers. */
  providersFile: string | undefined;
  /** Also run the built-in local demo OAuth provider (`demo`). */
  demo: boolean;
  /** The demo provider's port: fixed, so demo grants keep working across restarts (0: a free one). */
  demoPort: number;
  /** Lifetime of the demo provider's access tokens; short ones let you watch the vault refresh. */
  demoTokenTtlSeconds: number;
  /** A request must be answered within this; longer than the longest long-poll (F14). */
  requestTimeoutSeconds: number;
  /** Long-polls held at once in this process; more are answered at once (F14). */
  maxHeldPolls: number;
  /** How often expired OAuth states and sessions are swept (F12). */
  sweepIntervalSeconds: number;
  /** How long a session stays readable after its expiry before the sweep deletes it (F12). */
  sessionRetentionSeconds: number;
  /** PostgreSQL: ms a query waits for a pooled connection before answering `database_busy`. */
  dbAcquireTimeoutMs: number;
  /** Token refreshes one server process runs at once. */
  maxConcurrentRefreshes: number;
  /** A separate listener for `/metrics` (no API on it); off when undefined. */
  metricsPort: number | undefined;
  /** Where that listener binds: loopback unless the operator opens it. */
  metricsHost: string;
  /** Bearer token that `/metrics` requires; with it, `/metrics` is served on the main port too. */
  metricsToken: string | undefined;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

interface Setting {
  env: string;
  /** Omitted for secrets: a flag would show in `ps` and shell history. */
  flag?: string;
  /** A flag without a value (`--demo`); the variable takes `true` or `false`. */
  boolean?: true;
  description: string;
  default: string;
}

/** The reference table (README and `--help` are written from it). */
export const SETTINGS = {
  host: {
    env: "GRANTVAULT_HOST",
    flag: "host",
    description: "Interface to listen on.",
    default: "127.0.0.1",
  },
  port: {
    env: "GRANTVAULT_PORT",
    flag: "port",
    description: "TCP port (0 picks a free one).",
    default: "7400",
  },
  publicUrl: {
    env: "GRANTVAULT_PUBLIC_URL",
    flag: "public-url",
    description:
      "Origin that browsers and providers use to reach the vault (redirect URIs are built from it).",
    default: "http://<host>:<port>",
  },
  dataDir: {
    env: "GRANTVAULT_DATA_DIR",
    flag: "data-dir",
    description:
      "Directory for the SQLite file, the key file and the local credentials file (created with mode 0700).",
    default: "./.grantvault, or the nearest one in a folder above",
  },
  databaseUrl: {
    env: "GRANTVAULT_DATABASE_URL",
    flag: "database-url",
    description: "`postgres://user:pass@host/db`, or a SQLite file path.",
    default: "<data dir>/grantvault.db",
  },
  masterKey: {
    env: "GRANTVAULT_MASTER_KEY",
    description:
      "Encryption keys, `id:base64` entries (32-byte keys) separated by commas, primary first. Required with PostgreSQL.",
    default: "key file `<data dir>/master.key` (created 0600 on first start)",
  },
  logLevel: {
    env: "GRANTVAULT_LOG_LEVEL",
    flag: "log-level",
    description: `One of ${LOG_LEVELS.join(", ")}. Unset, each request is logged at debug; set, at info.`,
    default: "info (requests at debug)",
  },
  providersFile: {
    env: "GRANTVAULT_PROVIDERS_FILE",
    flag: "providers",
    description: "JSON file of the OAuth providers the vault offers (see the README).",
    default: "none",
  },
  demo: {
    env: "GRANTVAULT_DEMO",
    flag: "demo",
    boolean: true,
    description:
      "Also run a local demo OAuth provider (`demo`, any user name signs in). Never for production.",
    default: "false",
  },
  demoPort: {
    env: "GRANTVAULT_DEMO_PORT",
    flag: "demo-port",
    description:
      "Port of the demo provider; its keys and tokens are kept in `<data dir>/demo-provider/`, so demo grants survive restarts.",
    default: "<port> + 1 (a free one with `--port 0`)",
  },
  demoTokenTtlSeconds: {
    env: "GRANTVAULT_DEMO_TOKEN_TTL_SECONDS",
    flag: "demo-token-ttl",
    description:
      "Seconds the demo provider's access tokens last (a short one shows the vault refreshing them).",
    default: "3600",
  },
  requestTimeoutSeconds: {
    env: "GRANTVAULT_REQUEST_TIMEOUT_SECONDS",
    flag: "request-timeout",
    description: `Seconds a request may take, from its first byte to the answer (more than ${MAX_WAIT_SECONDS}, the longest long-poll).`,
    default: "60",
  },
  maxHeldPolls: {
    env: "GRANTVAULT_MAX_HELD_POLLS",
    flag: "max-held-polls",
    description:
      "Session long-polls held at once; past it they are answered at once (4 per session at most).",
    default: "1000",
  },
  sweepIntervalSeconds: {
    env: "GRANTVAULT_SWEEP_INTERVAL_SECONDS",
    flag: "sweep-interval",
    description: "Seconds between sweeps of expired OAuth states, sessions and sealed ID tokens.",
    default: "300",
  },
  sessionRetentionSeconds: {
    env: "GRANTVAULT_SESSION_RETENTION_SECONDS",
    flag: "session-retention",
    description: "Seconds a connect or sign-in session stays readable after it expired; then it is deleted.",
    default: "86400",
  },
  dbAcquireTimeoutMs: {
    env: "GRANTVAULT_DB_ACQUIRE_TIMEOUT_MS",
    flag: "db-acquire-timeout-ms",
    description:
      "PostgreSQL: how long a request waits for a free pooled connection before it is answered 503 `database_busy`.",
    default: "15000",
  },
  maxConcurrentRefreshes: {
    env: "GRANTVAULT_MAX_CONCURRENT_REFRESHES",
    flag: "max-concurrent-refreshes",
    description: "Token refreshes one server process runs at once; more wait their turn.",
    default: "8",
  },
  metricsPort: {
    env: "GRANTVAULT_METRICS_PORT",
    flag: "metrics-port",
    description:
      "Serve Prometheus `/metrics` on this port, on a listener of its own (no API on it; bearer token too if `GRANTVAULT_METRICS_TOKEN` is set).",
    default: "off",
  },
  metricsHost: {
    env: "GRANTVAULT_METRICS_HOST",
    flag: "metrics-host",
    description: "Interface the metrics listener binds to.",
    default: "127.0.0.1",
  },
  metricsToken: {
    env: "GRANTVAULT_METRICS_TOKEN",
    description:
      "Bearer token (16+ characters) that `/metrics` requires; when set, `/metrics` is also served on the main port.",
    default: "none (`/metrics` not on the main port)",
  },
} as const satisfies Record<Exclude<keyof ServerConfig, "dataDirSource">, Setting>;

/** Variables of the SDK and CLI, which may be set in the same shell; the server ignores them. */
const CLIENT_VARIABLES = new Set(["GRANTVAULT_API_KEY", "GRANTVAULT_URL"]);

const hostname = z.string().min(1, "must not be empty");
const port = z.coerce
  .number({ error: "must be a number" })
  .int("must be an integer")
  .min(0, "must be between 0 and 65535")
  .max(65535, "must be between 0 and 65535");
const positiveInteger = z.coerce
  .number({ error: "must be a number" })
  .int("must be an integer")
  .min(1, "must be at least 1");
const publicUrl = z
  .string()
  .refine(
    (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
    "must be an http(s) URL",
  )
  .refine(
    (value) => !URL.canParse(value) || ["", "/"].includes(new URL(value).pathname),
    "must not have a path",
  )
  .transform((value) => new URL(value).origin);

const schema = z.object({
  host: hostname.default(SETTINGS.host.default),
  port: port.default(Number(SETTINGS.port.default)),
  publicUrl: publicUrl.optional(),
  dataDir: z.string().min(1, "must not be empty").default(LOCAL_DATA_DIR),
  databaseUrl: z
    .string()
    .min(1, "must not be empty")
    .refine((value) => !isPostgresUrl(value) || URL.canParse(value), "is not a valid postgres:// URL")
    .optional(),
  masterKey: z.string().min(1, "must not be empty").optional(),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  providersFile: z.string().min(1, "must not be empty").optional(),
  demo: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .default("false")
    .transform((value) => value === "true" || value === "1"),
  demoPort: port.optional(),
  demoTokenTtlSeconds: positiveInteger.default(Number(SETTINGS.demoTokenTtlSeconds.default)),
  requestTimeoutSeconds: positiveInteger
    .min(
      MAX_WAIT_SECONDS + 5,
      `must be at least ${MAX_WAIT_SECONDS + 5} (a long-poll waits up to ${MAX_WAIT_SECONDS})`,
    )
    .default(Number(SETTINGS.requestTimeoutSeconds.default)),
  maxHeldPolls: positiveInteger.default(Number(SETTINGS.maxHeldPolls.default)),
  sweepIntervalSeconds: positiveInteger.default(Number(SETTINGS.sweepIntervalSeconds.default)),
  sessionRetentionSeconds: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(0, "must not be negative")
    .default(Number(SETTINGS.sessionRetentionSeconds.default)),
  dbAcquireTimeoutMs: positiveInteger.default(Number(SETTINGS.dbAcquireTimeoutMs.default)),
  maxConcurrentRefreshes: positiveInteger.default(Number(SETTINGS.maxConcurrentRefreshes.default)),
  metricsPort: port.optional(),
  metricsHost: hostname.default(SETTINGS.metricsHost.default),
  // Compared in constant time; short ones could be guessed.
  metricsToken: z.string().min(16, "must be at least 16 characters").optional(),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Builds the configuration from the environment and parsed flags (flag name → value).
 * Throws ConfigError listing every problem, each naming the variable or flag at fault.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  flags: Record<string, string | undefined> = {},
  cwd = process.cwd(),
): ServerConfig {
  const problems: string[] = [];
  const known = new Map<string, keyof ServerConfig>();
  for (const [key, setting] of Object.entries(SETTINGS)) known.set(setting.env, key as keyof ServerConfig);

  for (const name of Object.keys(env).sort()) {
    if (name.startsWith("GRANTVAULT_") && !known.has(name) && !CLIENT_VARIABLES.has(name)) {
      problems.push(`${name}: unknown variable (known: ${[...known.keys()].join(", ")})`);
    }
  }
  const flagNames = new Map<string, keyof ServerConfig>();
  for (const [key, setting] of Object.entries(SETTINGS)) {
    if ("flag" in setting) flagNames.set(setting.flag, key as keyof ServerConfig);
  }
  for (const name of Object.keys(flags)) {
    if (!flagNames.has(name)) problems.push(`--${name}: unknown option`);
  }

  // Where each value came from, so a problem names the variable or flag the user actually set.
  const raw: Record<string, string> = {};
  const origin: Record<string, string> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const flag = "flag" in setting ? flags[setting.flag] : undefined;
    const value = flag ?? env[setting.env];
    if (value === undefined) continue;
    raw[key] = value;
    origin[key] = flag !== undefined && "flag" in setting ? `--${setting.flag}` : setting.env;
  }

  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      problems.push(`${origin[key] ?? key}: ${issue.message}`);
    }
  }
  // The demo provider signs in anyone by name: reachable from the network, it would hand out
  // sign-ins and demo grants to whoever asks (F20e).
  if (parsed.success && parsed.data.demo && !isLoopbackListenHost(parsed.data.host)) {
    problems.push(
      `${origin.demo ?? "--demo"}: the demo provider lets anyone sign in, so it runs only on a loopback host; ${origin.host ?? "--host"} is ${parsed.data.host} (use 127.0.0.1, ::1 or localhost)`,
    );
  }
  const demoPort = parsed.success ? parsed.data.demoPort : undefined;
  if (parsed.success && demoPort !== undefined && demoPort !== 0 && demoPort === parsed.data.port) {
    problems.push(
      `${origin.demoPort}: the demo provider needs a port of its own; ${origin.port ?? "--port"} is ${parsed.data.port} too`,
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const values = parsed.data;
  let found: string | null = null;
  try {
    if (raw.dataDir === undefined) found = findLocalDataDir(cwd);
  } catch (error) {
    throw new ConfigError([`${SETTINGS.dataDir.env}: ${(error as Error).message}`]);
  }
  const dataDir = found ?? resolve(cwd, values.dataDir);
  const databaseUrl = values.databaseUrl ?? resolve(dataDir, "grantvault.db");
  return {
    host: values.host,
    port: values.port,
    publicUrl: values.publicUrl ?? defaultPublicUrl(values.host, values.port),
    dataDir,
    dataDirSource: raw.dataDir !== undefined ? "setting" : found ? "found" : "default",
    databaseUrl: isPostgresUrl(databaseUrl) ? databaseUrl : resolve(cwd, databaseUrl),
    masterKey: values.masterKey,
    logLevel: values.logLevel,
    providersFile: values.providersFile === undefined ? undefined : resolve(cwd, values.providersFile),
    demo: values.demo,
    demoPort: values.demoPort ?? defaultDemoPort(values.port),
    demoTokenTtlSeconds: values.demoTokenTtlSeconds,
    requestTimeoutSeconds: values.requestTimeoutSeconds,
    maxHeldPolls: values.maxHeldPolls,
    sweepIntervalSeconds: values.sweepIntervalSeconds,
    sessionRetentionSeconds: values.sessionRetentionSeconds,
    dbAcquireTimeoutMs: values.dbAcquireTimeoutMs,
    maxConcurrentRefreshes: values.maxConcurrentRefreshes,
    metricsPort: values.metricsPort,
    metricsHost: values.metricsHost,
    metricsToken: values.metricsToken,
  };
}

function isLoopbackListenHost(host: string): boolean {
  return isLoopbackHost(host) || host === "::1";
}

/** Next to the vault's port; a vault on a free port (tests) gets a free one for the demo too. */
function defaultDemoPort(vaultPort: number): number {
  return vaultPort === 0 || vaultPort === 65535 ? 0 : vaultPort + 1;
}

function defaultPublicUrl(host: string, port: number): string {
  // A wildcard address is where we listen, not where anyone can reach us.
  const reachable = host === "0.0.0.0" || host === "::" ? "localhost" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}
