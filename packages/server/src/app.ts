import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { ApiKeyService } from "./apps/api-keys.js";
import type { Clock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import type { KeyringHolder } from "./crypto/keyring-holder.js";
import { requireApiKey } from "./http/api-key-auth.js";
import { installErrorHandling } from "./http/error-handler.js";
import { registerDeleteApiKey } from "./http/routes/delete-api-key.js";
import { registerGetApp } from "./http/routes/get-app.js";
import { registerGetHealthz } from "./http/routes/get-healthz.js";
import { registerGetReadyz } from "./http/routes/get-readyz.js";
import { registerPostApiKeys } from "./http/routes/post-api-keys.js";
import { installSecurityHeaders } from "./http/security-headers.js";
import type { Logger } from "./logger.js";
import type { Store } from "./storage/store.js";

/** What the HTTP app is built from; tests pass their own (a temp SQLite file, a fake clock...). */
export interface AppDependencies {
  config: ServerConfig;
  store: Store;
  keys: KeyringHolder;
  clock: Clock;
  logger: Logger;
}

/** Request bodies larger than this are refused with `payload_too_large`. */
export const BODY_LIMIT_BYTES = 256 * 1024; // 256 KiB

/** Builds the vault's HTTP app. It does not listen; `serve` does, and tests use `inject()`. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger type is wider than Fastify's; the instance is the same.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids are ours to log, not the client's to choose.
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorateRequest("caller", null);
  installErrorHandling(app);
  installSecurityHeaders(app);

  const apiKeys = new ApiKeyService(deps.store, deps.clock);

  registerGetHealthz(app);
  registerGetReadyz(app, deps.store);
  await app.register(
    async (v1) => {
      requireApiKey(v1, apiKeys);
      registerGetApp(v1, deps.store);
      registerPostApiKeys(v1, apiKeys);
      registerDeleteApiKey(v1, apiKeys);
    },
    { prefix: "/v1" },
  );
  await app.ready();
  return app;
}
