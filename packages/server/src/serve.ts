import { createServer } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { OPERATOR } from "./apps/admin-actor.js";
import { ApiKeyManagement } from "./apps/api-key-management.js";
import type { IssuedApiKey } from "./apps/api-keys.js";
import { AuditLog } from "./audit/audit-log.js";
import { systemClock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import { ConfigEvents } from "./control/config-events.js";
import { IdentityProviderAdmin } from "./control/identity-provider-admin.js";
import { type ImportReport, ProviderAdmin } from "./control/provider-admin.js";
import type { DemoProvider } from "./demo/demo-provider.js";
import { startMetricsListener } from "./http/metrics-listener.js";
import type { RequestLogLevel } from "./http/request-log.js";
import { identityAppProblems } from "./identity/identity-registry.js";
import { followLocalCredentials, writeLocalCredentials } from "./local-vault.js";
import type { Logger } from "./logger.js";
import type { IdentityProviderConfig, ProviderConfig } from "./providers/provider-config.js";
import { loadProvidersFile, type ProvidersFile, ProvidersFileError } from "./providers/providers-file.js";
import { openDataDir, openRuntime, type Runtime } from "./runtime.js";
import type { Store } from "./storage/store.js";

/** The demo provider's keys and tokens, under the data dir: demo grants outlive a restart. */
export const DEMO_STATE_DIR = "demo-provider";

/** The app created on the first start of the embedded default, so a newcomer can start at once. */
export const FIRST_APP_NAME = "default";

/**
 * Runs the vault until SIGTERM or SIGINT, then stops taking connections, lets in-flight requests
 * finish, and closes the database. `print` receives the human-readable banner.
 */
export async function serve(
  input: ServerConfig,
  logger: Logger,
  print: (text: string) => void,
  options: { requestLogLevel?: RequestLogLevel } = {},
): Promise<void> {
  const config = await withConcretePort(input);
  const file: ProvidersFile = config.providersFile
    ? await loadProvidersFile(config.providersFile)
    : { providers: [], identity: [] };
  // What has been opened so far, closed in reverse if the start fails: a failed start exits
  // instead of hanging on a listening socket or an open database.
  const opened: (() => Promise<unknown>)[] = [];
  const closeOpened = async () => {
    for (const close of opened.reverse()) await close().catch(() => {});
  };
  try {
    const demo = config.demo ? await startDemo(config, file.providers) : null;
    if (demo) opened.push(() => demo.stop());
    const builtInProviders: ProviderConfig[] = demo ? [demo.config] : [];

    const runtime = await openRuntime(config, logger, { server: true });
    opened.push(() => runtime.close());
    const first = await createFirstAppIfEmpty(
      config,
      runtime.store,
      ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys),
    );
    const localCredentials =
      first?.credentialsFile ??
      (runtime.store.engine === "sqlite"
        ? await followLocalCredentials(config.dataDir, config.publicUrl)
        : null);
    const imported = await importProvidersFile(config, runtime, file);
    await importIdentityProviders(config, runtime, file);
    const builtInIdentities = await demoIdentity(runtime.store, demo);
    const metrics =
      config.metricsPort === undefined
        ? undefined
        : new (await import("./metrics/prometheus-metrics.js")).PrometheusMetrics();
    const app = await buildApp({
      config,
      store: runtime.store,
      keys: runtime.keys,
      clock: systemClock,
      logger,
      builtInProviders,
      builtInIdentities,
      ...(metrics ? { metrics } : {}),
      ...(options.requestLogLevel ? { requestLogLevel: options.requestLogLevel } : {}),
    });
    opened.push(() => app.close());
    await app.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
      throw listenError(error, config, first?.credentialsFile);
    });
    const metricsListener =
      metrics && config.metricsPort !== undefined
        ? await startMetricsListener(
            metrics,
            { host: config.metricsHost, port: config.metricsPort, token: config.metricsToken },
            logger,
          )
        : null;
    running({ app, metricsListener, runtime, demo, logger });
    // Only now: whoever waits for the banner may signal us at once, and must find us ready to stop.
    const offered = await offeredProviders(runtime.store, builtInProviders);
    print(banner(config, runtime.store, offered, imported, first, localCredentials, demo, metricsListener));
  } catch (error) {
    await closeOpened();
    throw error;
  }
}

/** Stops on SIGTERM or SIGINT: no new connections, in-flight requests finish, then everything closes. */
function running(parts: {
  app: FastifyInstance;
  metricsListener: FastifyInstance | null;
  runtime: Runtime;
  demo: DemoProvider | null;
  logger: Logger;
}): void {
  const { app, metricsListener, runtime, demo, logger } = parts;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, "shutting down: finishing in-flight requests");
    try {
      await app.close();
      await metricsListener?.close();
      await runtime.close();
      await demo?.stop();
      logger.info("stopped");
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, "shutdown failed");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

/** A listen failure in words that say what to do; the first app's key is safe on disk. */
function listenError(error: unknown, config: ServerConfig, credentialsFile: string | undefined): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const keptKey = credentialsFile ? ` The first app's API key is saved in ${credentialsFile}.` : "";
  const where = `${config.host}:${config.port}`;
  if (code === "EADDRINUSE") {
    return new Error(
      `cannot listen on ${where}: the port is in use (is another vault running?). Stop it, or start with --port (GRANTVAULT_PORT) set to a free port.${keptKey}`,
      { cause: error },
    );
  }
  if (code === "EACCES" || code === "EADDRNOTAVAIL") {
    return new Error(`cannot listen on ${where} (${code}): choose another --host or --port.${keptKey}`, {
      cause: error,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * The providers file, for compatibility, imported into every app that exists at start (issue 15):
 * idempotent, so every start and every process of a fleet may do it. Apps created later get
 * theirs with `grantvault-server providers import FILE --app APP` or the admin API.
 */
async function importProvidersFile(
  config: ServerConfig,
  runtime: Runtime,
  file: ProvidersFile,
): Promise<ImportReport | null> {
  if (file.providers.length === 0) return null;
  const { store, keys } = runtime;
  const admin = new ProviderAdmin({
    store,
    keys,
    audit: new AuditLog(store, systemClock, keys),
    events: new ConfigEvents(store.pubsub),
    clock: systemClock,
    publicUrl: config.publicUrl,
  });
  const total: ImportReport = { created: [], updated: [], unchanged: [] };
  for (const app of await store.apps.list()) {
    const report = await admin.import(OPERATOR, app.id, file.providers);
    for (const outcome of ["created", "updated", "unchanged"] as const)
      total[outcome].push(...report[outcome]);
  }
  return total;
}

/** Every provider id some app offers, for the banner's redirect URIs. */
async function offeredProviders(store: Store, builtIns: readonly ProviderConfig[]): Promise<string[]> {
  const ids = new Set([
    ...builtIns.map((provider) => provider.id),
    ...(await store.providers.distinctProviderIds()),
  ]);
  return [...ids].sort();
}

/**
 * The providers file's `identity` entries, by app id (F19), imported into the database like its
 * providers: idempotent, so every start and every process of a fleet may do it. An entry naming
 * an app that does not exist (yet) is imported by the first start after it is created.
 */
async function importIdentityProviders(
  config: ServerConfig,
  runtime: Runtime,
  file: ProvidersFile,
): Promise<void> {
  if (file.identity.length === 0) return;
  const { store, keys } = runtime;
  const apps = await store.apps.list();
  const problems = identityAppProblems(file.identity, apps);
  if (problems.length > 0) throw new ProvidersFileError(config.providersFile ?? "", problems);
  const admin = new IdentityProviderAdmin({
    store,
    keys,
    audit: new AuditLog(store, systemClock, keys),
    events: new ConfigEvents(store.pubsub),
    clock: systemClock,
    publicUrl: config.publicUrl,
  });
  for (const entry of file.identity) {
    if (apps.some((app) => app.id === entry.app)) await admin.import(OPERATOR, entry.app, entry);
  }
}

/**
 * The demo provider doubles as the identity provider of the first app (`default`): built in, not
 * stored, and shadowed by one the operator sets for the app (file, CLI or admin API).
 */
async function demoIdentity(store: Store, demo: DemoProvider | null): Promise<IdentityProviderConfig[]> {
  if (!demo) return [];
  const [first, ...others] = (await store.apps.list()).filter((app) => app.name === FIRST_APP_NAME);
  return first && others.length === 0 ? [demo.identityFor(first.id)] : [];
}

/**
 * With `--port 0`, picks the free port now: redirect URIs (and the demo provider's client) are
 * built from the public URL, which must be known before the server starts.
 */
async function withConcretePort(config: ServerConfig): Promise<ServerConfig> {
  if (config.port !== 0) return config;
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, config.host, () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
  const publicUrl = config.publicUrl.replace(/:0$/, `:${port}`);
  return { ...config, port, publicUrl };
}

async function startDemo(config: ServerConfig, configs: readonly ProviderConfig[]): Promise<DemoProvider> {
  if (configs.some((provider) => provider.id === "demo")) {
    throw new ProvidersFileError(config.providersFile ?? "", [
      'the id "demo" is reserved for the demo provider (--demo)',
    ]);
  }
  // Its state goes inside the data dir, which must be owner-only before anything is written there.
  await openDataDir(config.dataDir);
  // Loaded only when asked for: the OpenID provider library is large, and production never needs it.
  const { startDemoProvider } = await import("./demo/demo-provider.js");
  return startDemoProvider({
    host: "127.0.0.1",
    port: config.demoPort,
    publicUrl: config.publicUrl,
    stateDir: join(config.dataDir, DEMO_STATE_DIR),
    accessTokenTtlSeconds: config.demoTokenTtlSeconds,
  });
}

/** The first start's app and key, and the local credentials file that keeps the key. */
interface FirstApp {
  apiKey: IssuedApiKey;
  credentialsFile: string;
}

/**
 * Only for the embedded default: with PostgreSQL, several processes would race to create it. The
 * key goes to the local credentials file at once, before anything else can fail: it is never lost,
 * and the clients on this machine find it there (local-vault.ts).
 */
async function createFirstAppIfEmpty(
  config: ServerConfig,
  store: Store,
  apiKeys: ApiKeyManagement,
): Promise<FirstApp | null> {
  if (store.engine !== "sqlite" || (await store.apps.count()) > 0) return null;
  const { app, apiKey } = await apiKeys.createApp(FIRST_APP_NAME);
  const credentialsFile = await writeLocalCredentials(config.dataDir, {
    version: 1,
    url: config.publicUrl,
    api_key: apiKey.plaintext,
    app_id: app.id,
    app_name: app.name,
  });
  return { apiKey, credentialsFile };
}

function banner(
  config: ServerConfig,
  store: Store,
  providers: string[],
  imported: ImportReport | null,
  first: FirstApp | null,
  localCredentials: string | null,
  demo: DemoProvider | null,
  metricsListener: FastifyInstance | null,
): string {
  const lines = [
    `Grantvault is listening on http://${config.host}:${config.port} (public URL ${config.publicUrl})`,
    `  database: ${store.location} (${store.engine})`,
    `  data dir: ${config.dataDir}`,
  ];
  if (localCredentials && !first) {
    lines.push(`  local credentials: ${localCredentials} (used by the CLI and SDKs on this machine)`);
  }
  const metricsAddress = metricsListener?.addresses()[0];
  if (metricsAddress && typeof metricsAddress === "object") {
    const host = metricsAddress.family === "IPv6" ? `[${metricsAddress.address}]` : metricsAddress.address;
    lines.push(`  metrics: http://${host}:${metricsAddress.port}/metrics`);
  } else if (config.metricsToken !== undefined) {
    lines.push(`  metrics: ${config.publicUrl}/metrics (bearer GRANTVAULT_METRICS_TOKEN)`);
  }
  if (imported) {
    lines.push(
      `  providers file: imported into every app (${imported.created.length} created, ${imported.updated.length} updated, ${imported.unchanged.length} unchanged)`,
    );
  }
  if (providers.length === 0) {
    lines.push(
      "  providers: none yet (`grantvault-server providers create`, the admin API, or --demo for a local demo provider)",
    );
  } else {
    lines.push("  providers (register each redirect URI at the provider):");
    for (const id of providers) {
      lines.push(`    ${id.padEnd(12)} ${config.publicUrl}/v1/oauth/callback/${id}`);
    }
  }
  if (demo) {
    lines.push(
      `  demo provider: any name signs in; its API for demo grants: GET ${demo.apiUrl}`,
      `  demo provider state (kept across restarts): ${demo.stateDir}`,
      `  sign-in (authenticate()) for the app "${FIRST_APP_NAME}": the demo provider`,
    );
  }
  if (first) {
    lines.push(
      "",
      `First start: created the app "${FIRST_APP_NAME}" (${first.apiKey.key.appId}) and an API key,`,
      `saved in ${first.credentialsFile}: the grantvault CLI and both SDKs use it from this`,
      "folder or any folder below it. Anywhere else, set:",
      "",
      `  export GRANTVAULT_API_KEY=${first.apiKey.plaintext}`,
      `  export GRANTVAULT_URL=${config.publicUrl}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
