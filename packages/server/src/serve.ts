import { createServer } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { ApiKeyManagement } from "./apps/api-key-management.js";
import type { IssuedApiKey } from "./apps/api-keys.js";
import { systemClock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import type { DemoProvider } from "./demo/demo-provider.js";
import { startMetricsListener } from "./http/metrics-listener.js";
import type { RequestLogLevel } from "./http/request-log.js";
import { IdentityRegistry, identityAppProblems } from "./identity/identity-registry.js";
import type { Logger } from "./logger.js";
import { PrometheusMetrics } from "./metrics/prometheus-metrics.js";
import type { ProviderConfig } from "./providers/provider-config.js";
import {
  loadProvidersFile,
  ProviderRegistry,
  type ProvidersFile,
  ProvidersFileError,
} from "./providers/provider-registry.js";
import { openDataDir, openRuntime } from "./runtime.js";
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
  const providerConfigs: ProviderConfig[] = file.providers;
  const demo = config.demo ? await startDemo(config, providerConfigs) : null;
  if (demo) providerConfigs.push(demo.config);
  const providers = ProviderRegistry.fromConfigs(providerConfigs);

  const runtime = await openRuntime(config, logger, { server: true }).catch(async (error: unknown) => {
    // Its listening socket would keep the process alive after the failed start.
    await demo?.stop();
    throw error;
  });
  const firstKey = await createFirstAppIfEmpty(
    runtime.store,
    ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys),
  );
  let identities: IdentityRegistry;
  try {
    identities = await identityRegistry(config, runtime.store, file, demo);
  } catch (error) {
    await runtime.close();
    await demo?.stop();
    throw error;
  }
  const metrics = config.metricsPort === undefined ? undefined : new PrometheusMetrics();
  const app = await buildApp({
    config,
    store: runtime.store,
    keys: runtime.keys,
    clock: systemClock,
    logger,
    providers,
    identities,
    ...(metrics ? { metrics } : {}),
    ...(options.requestLogLevel ? { requestLogLevel: options.requestLogLevel } : {}),
  });
  await app.listen({ host: config.host, port: config.port });
  const metricsListener =
    metrics && config.metricsPort !== undefined
      ? await startMetricsListener(
          metrics,
          { host: config.metricsHost, port: config.metricsPort, token: config.metricsToken },
          logger,
        )
      : null;

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
  // Only now: whoever waits for the banner may signal us at once, and must find us ready to stop.
  print(banner(config, runtime.store, providers, firstKey, demo, metricsListener));
}

/**
 * The apps' identity providers, by app id (F19). The demo provider doubles as the identity provider
 * of the first app (`default`), unless the file names one for it.
 */
async function identityRegistry(
  config: ServerConfig,
  store: Store,
  file: ProvidersFile,
  demo: DemoProvider | null,
): Promise<IdentityRegistry> {
  const apps = await store.apps.list();
  const problems = identityAppProblems(file.identity, apps);
  if (problems.length > 0) throw new ProvidersFileError(config.providersFile ?? "", problems);
  const identity = [...file.identity];
  const [first, ...others] = apps.filter((app) => app.name === FIRST_APP_NAME);
  if (demo && first && others.length === 0 && !identity.some((entry) => entry.app === first.id)) {
    identity.push(demo.identityFor(first.id));
  }
  return new IdentityRegistry(identity);
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

/** Only for the embedded default: with PostgreSQL, several processes would race to create it. */
async function createFirstAppIfEmpty(store: Store, apiKeys: ApiKeyManagement): Promise<IssuedApiKey | null> {
  if (store.engine !== "sqlite" || (await store.apps.count()) > 0) return null;
  return (await apiKeys.createApp(FIRST_APP_NAME)).apiKey;
}

function banner(
  config: ServerConfig,
  store: Store,
  providers: ProviderRegistry,
  firstKey: IssuedApiKey | null,
  demo: DemoProvider | null,
  metricsListener: FastifyInstance | null,
): string {
  const lines = [
    `Grantvault is listening on http://${config.host}:${config.port} (public URL ${config.publicUrl})`,
    `  database: ${store.location} (${store.engine})`,
    `  data dir: ${config.dataDir}`,
  ];
  const metricsAddress = metricsListener?.addresses()[0];
  if (metricsAddress && typeof metricsAddress === "object") {
    const host = metricsAddress.family === "IPv6" ? `[${metricsAddress.address}]` : metricsAddress.address;
    lines.push(`  metrics: http://${host}:${metricsAddress.port}/metrics`);
  } else if (config.metricsToken !== undefined) {
    lines.push(`  metrics: ${config.publicUrl}/metrics (bearer GRANTVAULT_METRICS_TOKEN)`);
  }
  const list = providers.list();
  if (list.length === 0) {
    lines.push("  providers: none yet (GRANTVAULT_PROVIDERS_FILE, or --demo for a local demo provider)");
  } else {
    lines.push("  providers (register each redirect URI at the provider):");
    for (const provider of list) {
      lines.push(`    ${provider.id.padEnd(12)} ${config.publicUrl}/v1/oauth/callback/${provider.id}`);
    }
  }
  if (demo) {
    lines.push(
      `  demo provider: any name signs in; its API for demo grants: GET ${demo.apiUrl}`,
      `  demo provider state (kept across restarts): ${demo.stateDir}`,
      `  sign-in (authenticate()) for the app "${FIRST_APP_NAME}": the demo provider`,
    );
  }
  if (firstKey) {
    lines.push(
      "",
      `First start: created the app "${FIRST_APP_NAME}" (${firstKey.key.appId}) and an API key.`,
      "The key is shown only this once; store it now:",
      "",
      `  export GRANTVAULT_API_KEY=${firstKey.plaintext}`,
      `  export GRANTVAULT_URL=${config.publicUrl}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
