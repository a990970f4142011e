import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { ConfigError, loadConfig, type ServerConfig } from "../config.js";
import { openStoredProvider } from "../control/stored-provider.js";
import { loadKeyring } from "../crypto/master-keys.js";
import { loadProvidersFile, ProvidersFileError } from "../providers/providers-file.js";
import { isPostgresUrl } from "../storage/database.js";
import { Store } from "../storage/store.js";
import { type Output, printable } from "./output.js";

/** One check's verdict: what was looked at, and when it failed, what to do about it. */
export interface Check {
  name: "configuration" | "data directory" | "database" | "key ring" | "providers" | "stored providers";
  ok: boolean;
  detail: string;
  /** How to fix it; only when the check failed. */
  fix?: string;
}

/** How long a provider's discovery document may take to arrive. */
export const DISCOVERY_TIMEOUT_MS = 5000;

/**
 * `grantvault-server doctor`: checks what the server needs to start and serve — the settings,
 * the data directory, the database and its migrations, the key ring, the providers file and each
 * OpenID provider's discovery document — without changing anything (no migration, no key file
 * created). Exit 1 when a check fails.
 */
export async function doctor(
  env: Record<string, string | undefined>,
  flags: Record<string, string>,
  output: Output,
  json: boolean,
): Promise<number> {
  const checks = await runChecks(env, flags);
  if (json) {
    output.out(`${JSON.stringify({ ok: checks.every((check) => check.ok), checks }, null, 2)}\n`);
  } else {
    for (const check of checks) {
      output.out(`${check.ok ? "ok  " : "FAIL"}  ${check.name}: ${printable(check.detail)}\n`);
      if (check.fix) output.out(`      fix: ${printable(check.fix)}\n`);
    }
  }
  return checks.every((check) => check.ok) ? 0 : 1;
}

async function runChecks(
  env: Record<string, string | undefined>,
  flags: Record<string, string>,
): Promise<Check[]> {
  let config: ServerConfig;
  try {
    config = loadConfig(env, flags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [
      {
        name: "configuration",
        ok: false,
        detail: error.problems.join("; "),
        fix: "correct the variables or flags named (grantvault-server --help lists them)",
      },
    ];
  }
  const checks: Check[] = [{ name: "configuration", ok: true, detail: "settings parse" }];
  checks.push(await checkDataDir(config));
  const database = await checkDatabase(config);
  const keyring = await checkKeyring(config);
  checks.push(database, keyring);
  checks.push(...(await checkProviders(config)));
  // The apps' providers need a readable, migrated database and the key ring to open their secrets.
  if (database.ok && keyring.ok) checks.push(...(await checkStoredProviders(config)));
  return checks;
}

async function checkDataDir(config: ServerConfig): Promise<Check> {
  const name = "data directory";
  try {
    const { mode } = await stat(config.dataDir);
    if ((mode & 0o077) !== 0) {
      return {
        name,
        ok: false,
        detail: `${config.dataDir} is accessible by other users (mode ${(mode & 0o777).toString(8)})`,
        fix: `chmod 700 ${config.dataDir}`,
      };
    }
    return { name, ok: true, detail: config.dataDir };
  } catch {
    // The server creates it on start; only the embedded default needs it to hold anything.
    return { name, ok: true, detail: `${config.dataDir} does not exist yet (created on first start)` };
  }
}

async function checkDatabase(config: ServerConfig): Promise<Check> {
  const name = "database";
  const postgres = isPostgresUrl(config.databaseUrl);
  // Opening a SQLite file that is not there would create it: say so instead.
  if (!postgres && !(await exists(config.databaseUrl))) {
    return {
      name,
      ok: false,
      detail: `no database at ${config.databaseUrl}`,
      fix: "run `grantvault-server migrate` (or start the server once) to create it",
    };
  }
  let store: Store | null = null;
  try {
    store = await Store.open(config.databaseUrl, { migrate: false, acquireTimeoutMs: DISCOVERY_TIMEOUT_MS });
    if (!(await store.ping())) {
      return {
        name,
        ok: false,
        detail: `${store.location} does not answer`,
        fix: "check that the database is up and reachable",
      };
    }
    const pending = await store.pendingMigrations();
    if (pending.length > 0) {
      return {
        name,
        ok: false,
        detail: `${store.location}: ${pending.length} migration(s) not applied (${pending.join(", ")})`,
        fix: "run `grantvault-server migrate`",
      };
    }
    return { name, ok: true, detail: `${store.location} (${store.engine}), migrations applied` };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `cannot open the database: ${messageOf(error)}`,
      fix: postgres
        ? "check GRANTVAULT_DATABASE_URL (host, credentials, database name)"
        : "check the file and its permissions",
    };
  } finally {
    await store?.close();
  }
}

async function checkKeyring(config: ServerConfig): Promise<Check> {
  const name = "key ring";
  try {
    const loaded = await loadKeyring({
      envValue: config.masterKey,
      dataDir: config.dataDir,
      mayCreateFile: false,
    });
    const where = loaded.source.kind === "env" ? "GRANTVAULT_MASTER_KEY" : loaded.source.path;
    return { name, ok: true, detail: `${loaded.keyring.keyIds.length} key(s) from ${where}` };
  } catch (error) {
    const message = messageOf(error);
    const embedded = !isPostgresUrl(config.databaseUrl) && config.masterKey === undefined;
    return {
      name,
      ok: false,
      detail: embedded && /is required/.test(message) ? "no key file in the data directory" : message,
      fix: embedded
        ? "start the server once (it creates the key file), or restore master.key from its backup"
        : "set GRANTVAULT_MASTER_KEY (`grantvault-server keys generate` makes one); see the message for a bad entry or file mode",
    };
  }
}

async function checkProviders(config: ServerConfig): Promise<Check[]> {
  const name = "providers";
  if (config.providersFile === undefined) {
    return [{ name, ok: true, detail: "no providers file (GRANTVAULT_PROVIDERS_FILE not set)" }];
  }
  let file: Awaited<ReturnType<typeof loadProvidersFile>>;
  try {
    file = await loadProvidersFile(config.providersFile);
  } catch (error) {
    if (!(error instanceof ProvidersFileError)) throw error;
    return [
      { name, ok: false, detail: error.message, fix: "correct the providers file as the message says" },
    ];
  }
  const checks: Check[] = [
    {
      name,
      ok: true,
      detail: `${config.providersFile}: ${file.providers.length} provider(s), ${file.identity.length} identity provider(s)`,
    },
  ];
  const issuers = new Map<string, string>();
  for (const provider of file.providers) {
    if ("type" in provider && provider.type === "oidc")
      issuers.set(provider.issuer, `provider ${provider.id}`);
  }
  for (const entry of file.identity)
    issuers.set(entry.issuer, issuers.get(entry.issuer) ?? `identity of app ${entry.app}`);
  const discovered = await Promise.all(
    [...issuers].map(async ([issuer, label]) => {
      const problem = await discoveryProblem(issuer);
      return problem === null
        ? { name, ok: true, detail: `${label}: ${issuer} discovery reachable` }
        : {
            name,
            ok: false,
            detail: `${label}: ${issuer} discovery ${problem}`,
            fix: "check the issuer URL and that this host can reach it (proxy, firewall, DNS)",
          };
    }),
  );
  return [...checks, ...(discovered as Check[])];
}

/**
 * The providers the apps keep in the database: every client secret opens with the key ring (a
 * key dropped too early leaves one unreadable) and every document is still valid; OpenID issuers
 * answer their discovery.
 */
async function checkStoredProviders(config: ServerConfig): Promise<Check[]> {
  const name = "stored providers";
  const { keyring } = await loadKeyring({
    envValue: config.masterKey,
    dataDir: config.dataDir,
    mayCreateFile: false,
  });
  const store = await Store.open(config.databaseUrl, {
    migrate: false,
    acquireTimeoutMs: DISCOVERY_TIMEOUT_MS,
  });
  try {
    const checks: Check[] = [];
    const issuers = new Map<string, string>();
    let count = 0;
    for (const app of await store.apps.list()) {
      for (const row of await store.providers.listForApp(app.id)) {
        count++;
        const label = `app ${app.name} (${app.id}), provider ${row.providerId}`;
        try {
          const provider = openStoredProvider(row, keyring);
          // A URL with per-connection placeholders has no single discovery document to check.
          if (
            "type" in provider &&
            provider.type === "oidc" &&
            row.enabled &&
            !provider.issuer.includes("{")
          ) {
            issuers.set(provider.issuer, issuers.get(provider.issuer) ?? label);
          }
        } catch (error) {
          checks.push({
            name,
            ok: false,
            detail: `${label}: cannot be used (${messageOf(error)})`,
            fix: "set its client secret again (`grantvault-server providers update`), or restore the key that sealed it",
          });
        }
      }
    }
    checks.unshift({ name, ok: true, detail: `${count} provider(s) of apps in the database` });
    for (const [issuer, label] of issuers) {
      const problem = await discoveryProblem(issuer);
      checks.push(
        problem === null
          ? { name, ok: true, detail: `${label}: ${issuer} discovery reachable` }
          : {
              name,
              ok: false,
              detail: `${label}: ${issuer} discovery ${problem}`,
              fix: "check the issuer URL and that this host can reach it (proxy, firewall, DNS)",
            },
      );
    }
    return checks;
  } finally {
    await store.close();
  }
}

/** Null when the issuer's discovery document answers with a matching issuer; else what is wrong. */
async function discoveryProblem(issuer: string): Promise<string | null> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      redirect: "manual",
    });
    if (!response.ok) return `answered HTTP ${response.status}`;
    const document = (await response.json()) as { issuer?: unknown };
    if (document.issuer !== issuer) return `names another issuer (${String(document.issuer)})`;
    return null;
  } catch (error) {
    return error instanceof DOMException && error.name === "TimeoutError"
      ? `did not answer within ${DISCOVERY_TIMEOUT_MS / 1000} s`
      : `unreachable (${messageOf(error)})`;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string } } | null)?.cause?.code;
  const message = error instanceof Error ? error.message : String(error);
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}
