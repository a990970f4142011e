import { buildApp } from "./app.js";
import { ApiKeyService, type IssuedApiKey } from "./apps/api-keys.js";
import { systemClock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { openRuntime } from "./runtime.js";
import type { Store } from "./storage/store.js";

/** The app created on the first start of the embedded default, so a newcomer can start at once. */
export const FIRST_APP_NAME = "default";

/**
 * Runs the vault until SIGTERM or SIGINT, then stops taking connections, lets in-flight requests
 * finish, and closes the database. `print` receives the human-readable banner.
 */
export async function serve(
  config: ServerConfig,
  logger: Logger,
  print: (text: string) => void,
): Promise<void> {
  const runtime = await openRuntime(config, logger);
  const firstKey = await createFirstAppIfEmpty(runtime.store, new ApiKeyService(runtime.store, systemClock));
  const app = await buildApp({
    config,
    store: runtime.store,
    keys: runtime.keys,
    clock: systemClock,
    logger,
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  print(banner(config, runtime.store, port, firstKey));

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
      await runtime.close();
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

/** Only for the embedded default: with PostgreSQL, several processes would race to create it. */
async function createFirstAppIfEmpty(store: Store, apiKeys: ApiKeyService): Promise<IssuedApiKey | null> {
  if (store.engine !== "sqlite" || (await store.apps.count()) > 0) return null;
  return (await apiKeys.createApp(FIRST_APP_NAME)).apiKey;
}

function banner(config: ServerConfig, store: Store, port: number, firstKey: IssuedApiKey | null): string {
  const url = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  const lines = [
    `Grantvault is listening on http://${config.host}:${port} (public URL ${url})`,
    `  database: ${store.location} (${store.engine})`,
    `  data dir: ${config.dataDir}`,
  ];
  if (firstKey) {
    lines.push(
      "",
      `First start: created the app "${FIRST_APP_NAME}" (${firstKey.key.appId}) and an API key.`,
      "The key is shown only this once; store it now:",
      "",
      `  export GRANTVAULT_API_KEY=${firstKey.plaintext}`,
      `  export GRANTVAULT_URL=${url}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
