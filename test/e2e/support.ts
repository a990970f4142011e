import { setTimeout as sleep } from "node:timers/promises";
import type { Page } from "playwright-core";
import { CredentialStore, KeyringHolder } from "../../packages/server/src/testing.js";
import { CONNECT_PAGE_SELECTORS, DEV_INTERACTION_SELECTORS } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

/*
 * Shared helpers of the connect e2e tests (connect-security, connect-sessions-api, long-poll).
 */

/** test/harness/connect-world.ts, plus a look at what the provider told the vault and what it sealed. */
export interface SecurityWorld extends ConnectWorld {
  /**
   * Bodies (raw JSON text) the provider's token endpoint returned to the world's vault (not to
   * peers), oldest first: code exchanges and refreshes, of every provider (`broken`'s errors too).
   */
  tokenResponses: string[];
  /** Opens the credentials the world's vault sealed (same store, key ring and clock). */
  credentials: CredentialStore;
}

/** `startConnectWorld` with the vault's token-endpoint traffic recorded, see {@link SecurityWorld}. */
export async function startSecurityWorld(options: { databaseUrl?: string } = {}): Promise<SecurityWorld> {
  const tokenResponses: string[] = [];
  let tokenUrl: string | undefined;
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url === tokenUrl) tokenResponses.push(await response.clone().text());
    return response;
  };
  const world = await startConnectWorld({ ...options, fetch: recordingFetch });
  // The provider's URLs are known once it runs; the vault reaches no token endpoint before.
  tokenUrl = world.oauth.tokenUrl;
  const { store, keyring, clock } = world.vault;
  return {
    ...world,
    tokenResponses,
    credentials: new CredentialStore(store, new KeyringHolder(keyring, { kind: "env" }), clock),
  };
}

/** What a world must have for the HTTP helpers below. */
export type HttpWorld = Pick<ConnectWorld, "baseUrl" | "apiKey">;

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
 * A provider's redirect to the vault's callback, kept from the vault: its URL (code, state, iss),
 * unused, and the `Cookie` header the browser that started the flow would send with it (the
 * flow's binding cookie, F2).
 */
export interface HeldCallback {
  url: string;
  cookie: string;
}

/** Delivers a held callback (or `url`, a tampered copy of it) as its browser would: with its cookies. */
export function deliverCallback(callback: HeldCallback, url: string = callback.url): Promise<FetchedPage> {
  return fetchPage(url, { headers: { cookie: callback.cookie } });
}

/**
 * Opens the Connect page, picks `provider`, signs in and consents at the provider, but keeps the
 * provider's redirect to the vault's callback from reaching the vault: returns it, see
 * {@link HeldCallback}.
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
  options: {
    provider: string;
    login: string;
    baseUrl: string;
    timeoutMs?: number;
    /** Where the provider sends the browser back; default the connect callbacks, `/v1/oauth/callback/`. */
    callbackPath?: string;
  },
): Promise<HeldCallback> {
  const timeout = options.timeoutMs ?? 15_000;
  const prefix = `${options.baseUrl}${options.callbackPath ?? "/v1/oauth/callback/"}`;
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
    const url = await Promise.race([
      callback,
      sleep(timeout, undefined, { signal: stopTimer.signal }).then(() => {
        throw new Error(`the provider did not redirect to ${prefix}<provider>; stuck at ${page.url()}`);
      }),
    ]);
    const cookies = await page.context().cookies(url);
    return { url, cookie: cookies.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ") };
  } finally {
    stopTimer.abort();
    await cdp.detach().catch(() => {});
  }
}
