import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { buildApp } from "../../packages/server/src/app.js";
import { ApiKeyService } from "../../packages/server/src/apps/api-keys.js";
import { loadConfig } from "../../packages/server/src/config.js";
import { Keyring } from "../../packages/server/src/crypto/keyring.js";
import { KeyringHolder } from "../../packages/server/src/crypto/keyring-holder.js";
import { CredentialStore } from "../../packages/server/src/grants/credential-store.js";
import { createLogger } from "../../packages/server/src/logger.js";
import type { ProviderConfig } from "../../packages/server/src/providers/provider-config.js";
import { ProviderRegistry } from "../../packages/server/src/providers/provider-registry.js";
import { Store } from "../../packages/server/src/storage/store.js";
import { CONNECT_PAGE_SELECTORS, DEV_INTERACTION_SELECTORS } from "../harness/connect-flow.js";
import { freePort } from "../harness/free-port.js";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { type ResourceApi, startResourceApi } from "../harness/resource-api.js";
import { FakeClock, type TestVault } from "../harness/vault-app.js";

/*
 * Shared helpers of the connect e2e tests (connect-security, connect-sessions-api, long-poll).
 *
 * `startSecurityWorld` is test/harness/connect-world.ts plus what those tests need and the harness
 * does not expose yet: the key ring (to open sealed credentials), what the provider's token
 * endpoint answered the vault (to look for leaked tokens), the provider configs, and a second
 * vault process on the same database (`startPeer`).
 */

/** A vault built like test/harness/vault-app.ts, with the key ring and provider traffic in reach. */
export interface ObservedVault extends TestVault {
  keys: KeyringHolder;
  credentials: CredentialStore;
}

export interface SecurityWorld {
  vault: ObservedVault;
  baseUrl: string;
  apiKey: string;
  appId: string;
  oauth: OAuthProvider;
  api: ResourceApi;
  /** The configs both providers (`idp`, `octo`) are built from, with their client secrets. */
  providers: ProviderConfig[];
  /** Bodies (raw JSON text) the provider's token endpoint returned to the vault, oldest first. */
  tokenResponses: string[];
  /**
   * Another vault "process" (its own app, pool and LISTEN connection) on the same database, with the
   * same providers, key ring and public URL; not listening (use `app.inject`). PostgreSQL only.
   */
  startPeer(): Promise<ObservedVault>;
  stop(): Promise<void>;
}

async function startObservedVault(options: {
  databaseUrl?: string | undefined;
  providers: ProviderConfig[];
  publicUrl: string;
  keys: KeyringHolder;
  fetch?: typeof fetch;
}): Promise<ObservedVault> {
  const dataDir = await mkdtemp(join(tmpdir(), "gv-e2e-"));
  const config = loadConfig(
    {
      GRANTVAULT_DATA_DIR: dataDir,
      GRANTVAULT_PUBLIC_URL: options.publicUrl,
      ...(options.databaseUrl ? { GRANTVAULT_DATABASE_URL: options.databaseUrl } : {}),
    },
    {},
  );
  const store = await Store.open(config.databaseUrl);
  const clock = new FakeClock();
  const app = await buildApp({
    config,
    store,
    keys: options.keys,
    clock,
    logger: createLogger("silent"),
    providers: ProviderRegistry.fromConfigs(options.providers),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    app,
    store,
    apiKeys: new ApiKeyService(store, clock),
    clock,
    dataDir,
    keys: options.keys,
    credentials: new CredentialStore(store, options.keys, clock),
    async close() {
      await app.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Same providers and app as `startConnectWorld`, see {@link SecurityWorld}. */
export async function startSecurityWorld(options: { databaseUrl?: string } = {}): Promise<SecurityWorld> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const clients = ["idp", "octo"].map((id) => ({
    client_id: `gv-${id}`,
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/oauth/callback/${id}`],
  }));
  const oauth = await startOAuthProvider({ clients, scopes: ["repo", "read:user"] });
  const api = await startResourceApi({ oauth });
  const [idp, octo] = clients as [(typeof clients)[number], (typeof clients)[number]];
  const providers: ProviderConfig[] = [
    {
      id: "idp",
      type: "oidc",
      displayName: "Test IdP",
      issuer: oauth.issuer,
      clientId: idp.client_id,
      clientSecret: idp.client_secret,
    },
    {
      id: "octo",
      type: "oauth2",
      displayName: "Octo (GitHub-like)",
      authorizationUrl: oauth.authorizationUrl,
      tokenUrl: oauth.tokenUrl,
      userinfoUrl: `${api.baseUrl}/user`,
      accountIdentifierField: "login",
      scopes: ["repo", "read:user"],
      apiBaseUrls: [api.baseUrl],
      clientId: octo.client_id,
      clientSecret: octo.client_secret,
    },
  ];
  const keys = new KeyringHolder(new Keyring([{ id: "test", key: randomBytes(32) }]), { kind: "env" });
  const tokenResponses: string[] = [];
  const observingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === oauth.tokenUrl) tokenResponses.push(await response.clone().text());
    return response;
  };
  const vault = await startObservedVault({
    databaseUrl: options.databaseUrl,
    providers,
    publicUrl: baseUrl,
    keys,
    fetch: observingFetch,
  });
  await vault.app.listen({ host: "127.0.0.1", port });
  const { app, apiKey } = await vault.apiKeys.createApp("Connect test app");
  const peers: ObservedVault[] = [];
  return {
    vault,
    baseUrl,
    apiKey: apiKey.plaintext,
    appId: app.id,
    oauth,
    api,
    providers,
    tokenResponses,
    async startPeer() {
      if (!options.databaseUrl) throw new Error("a peer vault needs a shared PostgreSQL databaseUrl");
      const peer = await startObservedVault({
        databaseUrl: options.databaseUrl,
        providers,
        publicUrl: baseUrl,
        keys,
      });
      peers.push(peer);
      return peer;
    },
    async stop() {
      await Promise.all(peers.map((peer) => peer.close()));
      await vault.close();
      await api.stop();
      await oauth.stop();
    },
  };
}

/** What a world must have for the HTTP helpers below (ConnectWorld and SecurityWorld both do). */
export interface HttpWorld {
  baseUrl: string;
  apiKey: string;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** The raw body, for "does not contain" checks. */
  text: string;
  body: T;
}

/** Calls the vault's JSON API with the world's (or another) API key. */
export async function callApi<T = Record<string, unknown>>(
  world: HttpWorld,
  method: string,
  path: string,
  options: { body?: unknown; apiKey?: string } = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${world.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.apiKey ?? world.apiKey}`,
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as T };
}

export interface CreatedSession {
  session_id: string;
  session_token: string;
  connect_url: string;
  confirmation_code: string;
  expires_at: string;
}

export interface SessionBody {
  session_id: string;
  status: string;
  expires_at: string;
  results:
    | {
        grant_id: string;
        provider_id: string;
        account_identifier: string;
        scopes: string[];
        grant_policy: Record<string, number> | null;
      }[]
    | null;
  error: { code: string; message: string } | null;
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: string; message: string }[] };
}

/** `POST /v1/connect/sessions`, expecting 201. */
export async function createSession(world: HttpWorld, body: unknown = {}): Promise<CreatedSession> {
  const created = await callApi<CreatedSession>(world, "POST", "/v1/connect/sessions", { body });
  if (created.status !== 201)
    throw new Error(`creating a session answered ${created.status}: ${created.text}`);
  return created.body;
}

/** `GET /v1/connect/sessions/<id>`, expecting 200. */
export async function getSession(world: HttpWorld, id: string): Promise<SessionBody> {
  const session = await callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${id}`);
  if (session.status !== 200) throw new Error(`reading session ${id} answered ${session.status}`);
  return session.body;
}

export interface FetchedPage {
  status: number;
  headers: Headers;
  html: string;
  /** The `data-result` of the page's result element, if it has one. */
  result: string | null;
  location: string | null;
}

/** Fetches a vault page outside the browser (no redirects followed). */
export async function fetchPage(url: string, init: RequestInit = {}): Promise<FetchedPage> {
  const response = await fetch(url, { redirect: "manual", ...init });
  const html = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    html,
    result: /data-result="([^"]*)"/.exec(html)?.[1] ?? null,
    location: response.headers.get("location"),
  };
}

/** Records every request the page makes to the vault's OAuth callbacks (redirect hops included). */
export function recordCallbacks(page: Page, baseUrl: string): string[] {
  const seen: string[] = [];
  page.on("request", (request) => {
    if (request.url().startsWith(`${baseUrl}/v1/oauth/callback/`)) seen.push(request.url());
  });
  return seen;
}

/**
 * Opens the Connect page, picks `provider`, signs in and consents at the provider, but keeps the
 * provider's redirect to the vault's callback from reaching the vault: returns the callback URL it
 * carried (code, state, iss), unused.
 *
 * The provider answers its consent form with redirects (form → /auth/<uid> → callback), and
 * Playwright's `page.route` does not see redirect hops (it routes only a navigation's first
 * request), so the callback is caught with the DevTools protocol's Fetch domain, which pauses every
 * hop, and answered with a placeholder page. (`Network.setBlockedURLs` does not block it while the
 * context has Playwright routes, as `newPage`'s does.)
 */
export async function driveToCallback(
  page: Page,
  connectUrl: string,
  options: { provider: string; login: string; baseUrl: string; timeoutMs?: number },
): Promise<string> {
  const timeout = options.timeoutMs ?? 15_000;
  const prefix = `${options.baseUrl}/v1/oauth/callback/`;
  const cdp = await page.context().newCDPSession(page);
  let resolveCallback: (url: string) => void = () => {};
  const callback = new Promise<string>((resolve) => {
    resolveCallback = resolve;
  });
  cdp.on("Fetch.requestPaused", (event) => {
    resolveCallback(event.request.url);
    void cdp
      .send("Fetch.fulfillRequest", {
        requestId: event.requestId,
        responseCode: 200,
        responseHeaders: [{ name: "content-type", value: "text/html" }],
        body: Buffer.from("<!doctype html><main data-intercepted>intercepted</main>").toString("base64"),
      })
      .catch(() => {});
  });
  await cdp.send("Fetch.enable", { patterns: [{ urlPattern: `${prefix}*`, requestStage: "Request" }] });

  await page.goto(connectUrl, { timeout });
  await page.locator(CONNECT_PAGE_SELECTORS.providerButton(options.provider)).first().click({ timeout });
  const s = DEV_INTERACTION_SELECTORS;
  const loginForm = page.locator(s.loginForm);
  const consentForm = page.locator(s.consentForm);
  for (let step = 0; step < 6; step++) {
    const next = await Promise.race([
      callback.then(() => "callback" as const),
      loginForm
        .or(consentForm)
        .first()
        .waitFor({ timeout })
        .then(() => "form" as const),
    ]);
    if (next === "callback") break;
    const navigated = page
      .waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame(), timeout })
      .catch(() => undefined);
    if ((await loginForm.count()) > 0) {
      await loginForm.locator(s.loginInput).fill(options.login);
      await loginForm.locator(s.passwordInput).fill("any-password");
      await loginForm.locator(s.submit).click({ timeout });
    } else {
      await consentForm.locator(s.submit).click({ timeout });
    }
    // The blocked callback may end the navigation without a new document.
    await Promise.race([navigated, callback]);
  }
  const stopTimer = new AbortController();
  try {
    return await Promise.race([
      callback,
      sleep(timeout, undefined, { signal: stopTimer.signal }).then(() => {
        throw new Error(`the provider did not redirect to ${prefix}<provider>; stuck at ${page.url()}`);
      }),
    ]);
  } finally {
    stopTimer.abort();
    await cdp.detach().catch(() => {});
  }
}
