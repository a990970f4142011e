import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { ApiKeyManagement } from "./apps/api-key-management.js";
import { ApiKeyService } from "./apps/api-keys.js";
import { AppSettings } from "./apps/app-settings.js";
import { OperatorKeyService } from "./apps/operator-keys.js";
import { AuditLog } from "./audit/audit-log.js";
import type { Clock } from "./clock.js";
import type { ServerConfig } from "./config.js";
import { ConnectFlow } from "./connect/connect-flow.js";
import { ConnectSessionService } from "./connect/connect-sessions.js";
import { ExpiredSweeper } from "./connect/expired-sweeper.js";
import { DEFAULT_HELD_POLL_LIMITS, HeldPolls } from "./connect/held-polls.js";
import { SessionEvents } from "./connect/session-events.js";
import { AppAdmin } from "./control/app-admin.js";
import { ConfigEvents } from "./control/config-events.js";
import { IdentityProviderAdmin } from "./control/identity-provider-admin.js";
import { ProviderAdmin } from "./control/provider-admin.js";
import { ProviderDirectory } from "./control/provider-directory.js";
import type { KeyringHolder } from "./crypto/keyring-holder.js";
import { CredentialAccess } from "./grants/credential-access.js";
import { CredentialStore } from "./grants/credential-store.js";
import { GrantService } from "./grants/grant-service.js";
import { ProxyCall } from "./grants/proxy-call.js";
import { TokenRefresher } from "./grants/token-refresher.js";
import { UserGrantResolver } from "./grants/user-grant-resolver.js";
import { requireApiKey } from "./http/api-key-auth.js";
import { answerClientError, answerFrameworkError, requireHostHeader } from "./http/client-errors.js";
import { installErrorHandling } from "./http/error-handler.js";
import { FlowCookies } from "./http/flow-cookie.js";
import { RequestLog, type RequestLogLevel } from "./http/request-log.js";
import { registerAdminApps } from "./http/routes/admin-apps.js";
import { registerAdminIdentityProvider } from "./http/routes/admin-identity-provider.js";
import { registerAdminProviders } from "./http/routes/admin-providers.js";
import { registerAuthSessions } from "./http/routes/auth-sessions.js";
import { registerConnectPages } from "./http/routes/connect-pages.js";
import { registerDeleteApiKey } from "./http/routes/delete-api-key.js";
import { registerDeleteGrant } from "./http/routes/delete-grant.js";
import { registerGetApiKeys } from "./http/routes/get-api-keys.js";
import { registerGetApp } from "./http/routes/get-app.js";
import { registerGetAudit } from "./http/routes/get-audit.js";
import { registerGetConnectSession } from "./http/routes/get-connect-session.js";
import { registerGetGrant } from "./http/routes/get-grant.js";
import { registerGetGrants } from "./http/routes/get-grants.js";
import { registerGetHealthz } from "./http/routes/get-healthz.js";
import { registerGetMetrics } from "./http/routes/get-metrics.js";
import { registerGetOAuthCallback } from "./http/routes/get-oauth-callback.js";
import { registerGetOpenApi } from "./http/routes/get-openapi.js";
import { registerGetProviders } from "./http/routes/get-providers.js";
import { registerGetReadyz } from "./http/routes/get-readyz.js";
import { registerPatchApiKey } from "./http/routes/patch-api-key.js";
import { registerPostApiKeys } from "./http/routes/post-api-keys.js";
import { registerPostConnectSessions } from "./http/routes/post-connect-sessions.js";
import { registerPostGrantCredential } from "./http/routes/post-grant-credential.js";
import { registerPostGrantProxy } from "./http/routes/post-grant-proxy.js";
import { registerPostGrantsResolve } from "./http/routes/post-grants-resolve.js";
import { registerPostIdentityVerify } from "./http/routes/post-identity-verify.js";
import { installSecurityHeaders } from "./http/security-headers.js";
import { UserTokens } from "./identity/user-tokens.js";
import type { Logger } from "./logger.js";
import type { PrometheusMetrics } from "./metrics/prometheus-metrics.js";
import { NO_METRICS } from "./metrics/vault-metrics.js";
import { OAuthClient } from "./oauth/oauth-client.js";
import { UserBinding } from "./policy/user-binding.js";
import type { IdentityProviderConfig, ProviderConfig } from "./providers/provider-config.js";
import type { Store } from "./storage/store.js";

/** What the HTTP app is built from; tests pass their own (a temp SQLite file, a fake clock...). */
export interface AppDependencies {
  config: ServerConfig;
  store: Store;
  keys: KeyringHolder;
  clock: Clock;
  logger: Logger;
  /**
   * Providers offered to every app besides its own from the database: the demo provider, tests'
   * in-memory ones. None when omitted.
   */
  builtInProviders?: readonly ProviderConfig[];
  /** Identity providers not in the database, by app (the demo provider for the first app; tests'). */
  builtInIdentities?: readonly IdentityProviderConfig[];
  /** How soon an unknown signing key may fetch an identity provider's keys again; default 30 s. */
  keySetCooldownMs?: number;
  /** How the vault reaches providers; tests may wrap it to observe or disturb traffic. */
  fetch?: typeof fetch;
  /**
   * Where services record what they do (`serve` passes the one its metrics listener exposes).
   * Omitted: created when the configuration exposes metrics, else nothing is recorded.
   */
  metrics?: PrometheusMetrics;
  /** The level of Fastify's lines for each request; default info (Fastify's). */
  requestLogLevel?: RequestLogLevel;
}

/** Request bodies larger than this are refused with `payload_too_large`. */
export const BODY_LIMIT_BYTES = 256 * 1024; // 256 KiB

/**
 * Socket limits (F14): a request must arrive and be answered within the request timeout (longer
 * than the longest long-poll), its headers within HEADERS_TIMEOUT_MS, and an idle socket is closed.
 */
function httpTimeouts(config: ServerConfig) {
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  return {
    requestTimeout,
    // Inactivity on a socket: a held long-poll is silent up to MAX_WAIT_SECONDS, so not shorter.
    connectionTimeout: requestTimeout,
    // Fastify's default, longer than the idle timeouts of common load balancers (60 s).
    keepAliveTimeout: 72_000,
    // Node's own Host check answers without our envelope; requireHostHeader() makes it instead.
    http: { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout), requireHostHeader: false },
  };
}

/** Headers must have arrived this soon after a request starts (a slow-headers client holds a socket). */
export const HEADERS_TIMEOUT_MS = 20_000;

/** Metrics are recorded only when something serves them. */
export function metricsExposed(config: ServerConfig): boolean {
  return config.metricsPort !== undefined || config.metricsToken !== undefined;
}

/** Builds the vault's HTTP app. It does not listen; `serve` does, and tests use `inject()`. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger type is wider than Fastify's; the instance is the same.
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new RequestLog(deps.requestLogLevel ?? "info"),
    bodyLimit: BODY_LIMIT_BYTES,
    // Request ids are ours to log, not the client's to choose.
    requestIdHeader: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    ...httpTimeouts(deps.config),
    // Requests refused before any route runs get our envelope too (issue 12, item 11).
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });
  app.decorateRequest("caller", null);
  installErrorHandling(app);
  requireHostHeader(app);
  installSecurityHeaders(app);

  const { config, store, clock, logger } = deps;
  const apiKeys = new ApiKeyService(store, clock);
  const events = new SessionEvents(store.pubsub);
  await events.start();
  // prom-client is loaded only for a vault that exposes metrics.
  const metrics =
    deps.metrics ??
    (metricsExposed(config)
      ? new (await import("./metrics/prometheus-metrics.js")).PrometheusMetrics()
      : undefined);
  const recorder = metrics ?? NO_METRICS;
  const audit = new AuditLog(store, clock, deps.keys, recorder);
  const keyManagement = new ApiKeyManagement({ keys: apiKeys, store, audit, clock });
  const oauth = new OAuthClient(deps.fetch ?? fetch, () => clock.now());
  const configEvents = new ConfigEvents(store.pubsub);
  await configEvents.start();
  const providers = new ProviderDirectory({
    store,
    keys: deps.keys,
    events: configEvents,
    logger,
    now: () => clock.now(),
    ...(deps.builtInProviders ? { builtIns: deps.builtInProviders } : {}),
    ...(deps.builtInIdentities ? { builtInIdentities: deps.builtInIdentities } : {}),
  });
  const userTokens = new UserTokens({
    identities: providers,
    oauth,
    clock,
    ...(deps.keySetCooldownMs === undefined ? {} : { keySetCooldownMs: deps.keySetCooldownMs }),
  });
  const heldPolls = new HeldPolls({ ...DEFAULT_HELD_POLL_LIMITS, perProcess: config.maxHeldPolls });
  const sessions = new ConnectSessionService(
    store,
    providers,
    events,
    clock,
    audit,
    userTokens,
    heldPolls,
    recorder,
  );
  metrics?.observe({ heldPolls: () => heldPolls.total, poolUse: () => store.poolUse() });
  const sweeper = new ExpiredSweeper({
    store,
    clock,
    logger,
    settings: {
      intervalMs: config.sweepIntervalSeconds * 1000,
      sessionRetentionMs: config.sessionRetentionSeconds * 1000,
    },
  });
  sweeper.start();
  app.addHook("onClose", () => sweeper.stop());
  // Graceful shutdown waits for in-flight requests; held long-polls answer at once instead.
  app.addHook("preClose", async () => sessions.shutdown());
  const credentials = new CredentialStore(store, deps.keys, clock);
  const grants = new GrantService({ store, credentials, providers, oauth, clock, logger, audit });
  const refresher = new TokenRefresher({
    store,
    credentials,
    oauth,
    clock,
    logger,
    maxConcurrentRefreshes: config.maxConcurrentRefreshes,
    metrics: recorder,
  });
  const access = new CredentialAccess({
    apiKeys,
    store,
    providers,
    refresher,
    credentials,
    userBinding: new UserBinding({ userTokens, apps: store.apps }),
    audit,
    clock,
    logger,
    metrics: recorder,
  });
  const proxy = new ProxyCall({ access, audit, clock, logger, metrics: recorder });
  const userGrants = new UserGrantResolver({ store, userTokens });
  const flow = new ConnectFlow({
    store,
    providers,
    oauth,
    sessions,
    credentials,
    clock,
    logger,
    audit,
    userTokens,
    keys: deps.keys,
    publicUrl: config.publicUrl,
  });

  const controlDeps = {
    store,
    keys: deps.keys,
    audit,
    events: configEvents,
    clock,
    publicUrl: config.publicUrl,
  };
  const appAdmin = new AppAdmin({
    store,
    audit,
    events: configEvents,
    clock,
    apiKeys: keyManagement,
    settings: new AppSettings({ store, audit }),
  });
  const providerAdmin = new ProviderAdmin(controlDeps);
  const identityAdmin = new IdentityProviderAdmin(controlDeps);

  registerGetHealthz(app);
  registerGetReadyz(app, store);
  // On the main port only behind a token; the metrics port (serve.ts) is the other way in.
  if (metrics && config.metricsToken !== undefined) registerGetMetrics(app, metrics, config.metricsToken);
  registerGetOpenApi(app);
  const flowCookies = new FlowCookies(config.publicUrl);
  registerGetOAuthCallback(app, { flow, publicUrl: config.publicUrl, cookies: flowCookies });
  await registerConnectPages(app, {
    flow,
    sessions,
    store,
    publicUrl: config.publicUrl,
    cookies: flowCookies,
    clock,
  });
  await app.register(
    async (v1) => {
      requireApiKey(v1, { apiKeys, operatorKeys: new OperatorKeyService(store, clock) });
      registerGetApp(v1, store);
      registerGetProviders(v1, providers);
      registerGetApiKeys(v1, keyManagement, clock);
      registerPostApiKeys(v1, keyManagement);
      registerPatchApiKey(v1, keyManagement, clock);
      registerDeleteApiKey(v1, keyManagement);
      registerPostConnectSessions(v1, sessions, config.publicUrl);
      registerGetConnectSession(v1, sessions);
      registerAuthSessions(v1, { sessions, store, keys: deps.keys, publicUrl: config.publicUrl });
      registerPostIdentityVerify(v1, userTokens);
      registerPostGrantsResolve(v1, userGrants);
      registerGetGrants(v1, grants);
      registerGetGrant(v1, grants);
      registerDeleteGrant(v1, grants);
      registerPostGrantCredential(v1, access);
      registerGetAudit(v1, audit);
      registerAdminApps(v1, appAdmin);
      registerAdminProviders(v1, providerAdmin);
      registerAdminIdentityProvider(v1, identityAdmin);
      await registerPostGrantProxy(v1, proxy);
    },
    { prefix: "/v1" },
  );
  await app.ready();
  return app;
}
