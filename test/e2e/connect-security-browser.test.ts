import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LIVE_FLOWS_PER_SESSION } from "../../packages/server/src/testing.js";
import { newPage } from "../harness/browser.js";
import { CONNECT_PAGE_SELECTORS, loginAndConsent } from "../harness/connect-flow.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";
import {
  browser,
  formPost,
  grantsOf,
  stateRows,
  useSecurityWorlds,
  world,
} from "./connect-security-world.js";
import {
  callApi,
  createSession,
  deliverCallback,
  driveToCallback,
  getSession,
  type SecurityWorld,
  startSecurityWorld,
} from "./support.js";

/**
 * Connect security of the browser: a flow is finished only by the browser that started it (F2,
 * RFC 9700 §4.7.1), for connect and for sign-in; one session cannot pile up OAuth states (F12);
 * an identity provider that cannot be reached makes sign-in unavailable (503), never a 500.
 */

useSecurityWorlds({ postgres: false });

interface AuthSessionBody {
  session_id: string;
  sign_in_url: string;
  status: string;
  user_token: string | null;
  user_info: Record<string, unknown> | null;
}

/** What the vault answered at its callback, as the browser received it. */
interface CallbackAnswer {
  status: number;
}

/** Records the vault's answers to the page's requests to `callbackPath`. */
function watchCallbacks(page: Page, baseUrl: string, callbackPath: string): CallbackAnswer[] {
  const answers: CallbackAnswer[] = [];
  page.on("response", (response) => {
    if (response.url().startsWith(`${baseUrl}${callbackPath}`)) {
      answers.push({ status: response.status() });
    }
  });
  return answers;
}

/**
 * The starting browser opens the Connect (or sign-in) page and presses `provider`; it is left at
 * the provider's sign-in page. Returns its page and the provider's authorize URL it was sent to
 * (what an attacker would pass on).
 */
async function startInBrowser(url: string, provider: string): Promise<{ page: Page; authorizeUrl: string }> {
  const page = await newPage(browser);
  const authorizeUrls: string[] = [];
  page.on("request", (request) => {
    if (request.url().startsWith(world.oauth.authorizationUrl)) authorizeUrls.push(request.url());
  });
  await page.goto(url);
  await page.locator(CONNECT_PAGE_SELECTORS.providerButton(provider)).first().click();
  await page.waitForURL((current) => current.href.startsWith(world.oauth.issuer));
  const [authorizeUrl] = authorizeUrls;
  if (!authorizeUrl) throw new Error("the start did not send the browser to the provider");
  return { page, authorizeUrl };
}

/** Another person's browser (fresh context: no cookies) opens `authorizeUrl` and approves as `login`. */
async function openInVictimBrowser(authorizeUrl: string, login: string, callbackPath: string) {
  const page = await newPage(browser);
  try {
    const answers = watchCallbacks(page, world.baseUrl, callbackPath);
    await page.goto(authorizeUrl);
    await loginAndConsent(page, { login, done: CONNECT_PAGE_SELECTORS.result });
    const result = page.locator(CONNECT_PAGE_SELECTORS.result).first();
    return {
      answers,
      result: await result.getAttribute("data-result"),
      errorCode: await result.getAttribute("data-error-code"),
      text: (await result.textContent()) ?? "",
    };
  } finally {
    await page.context().close();
  }
}

async function auditEvents(type: string, sessionId: string) {
  const rows = await world.vault.store.db
    .selectFrom("audit_events")
    .selectAll()
    .where("app_id", "=", world.appId)
    .where("type", "=", type)
    .execute();
  return rows.filter((row) => JSON.parse(row.details ?? "{}").session_id === sessionId);
}

describe("F2: a flow is finished only by the browser that started it", () => {
  it("F2: the attacker's authorize URL opened in another browser completes nothing; the starter still can", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const starter = await startInBrowser(created.connect_url, "idp");
    try {
      const victim = await openInVictimBrowser(starter.authorizeUrl, "f2-victim", "/v1/oauth/callback/");

      expect(victim.answers.map((answer) => answer.status)).toEqual([400]);
      expect(victim.result).toBe("error");
      expect(victim.errorCode).toBe("flow_browser_mismatch");
      expect(victim.text).toContain("another browser");
      expect(await getSession(world, created.session_id)).toMatchObject({
        status: "pending",
        results: null,
        error: null,
      });
      expect(await grantsOf("f2-victim@example.test")).toEqual([]);
      expect(await stateRows(starter.authorizeUrl)).toHaveLength(1);
      const [audited, ...more] = await auditEvents("session.browser_mismatch", created.session_id);
      expect(more).toEqual([]);
      expect(audited).toMatchObject({ outcome: "refused", provider_id: "idp" });
      expect(JSON.parse(audited?.details ?? "{}")).toMatchObject({ kind: "connect", cookie: "missing" });

      // The browser that started the flow finishes it, and its binding cookie is then cleared.
      const answers = watchCallbacks(starter.page, world.baseUrl, "/v1/oauth/callback/");
      await loginAndConsent(starter.page, { login: "f2-starter", done: CONNECT_PAGE_SELECTORS.result });
      expect(
        await starter.page.locator(CONNECT_PAGE_SELECTORS.result).first().getAttribute("data-result"),
      ).toBe("success");
      expect(answers.map((answer) => answer.status)).toEqual([200]);
      const left = await starter.page.context().cookies(world.baseUrl);
      expect(left.filter((cookie) => cookie.name.startsWith("gv_flow_"))).toEqual([]);
      expect(await getSession(world, created.session_id)).toMatchObject({
        status: "completed",
        results: [{ provider_id: "idp", account_identifier: "f2-starter@example.test" }],
      });
    } finally {
      await starter.page.context().close();
    }
  });

  it("F2: a callback with another flow's cookie, or none, is refused (plain HTTP, as an attacker's script)", async () => {
    const created = await createSession(world, { allowed_providers: ["idp", "octo"] });
    const mine = await callbackOf2(created.connect_url, "idp", "f2-script-a");
    const other = await callbackOf2(created.connect_url, "octo", "f2-script-b");
    const tokenRequestsBefore = world.tokenResponses.length;
    // The other flow's cookies (its own binding) and a forged value under this flow's name.
    const forged = mine.cookie.replace(/(gv_flow_[0-9a-f]{16})=[^;]*/, "$1=forged-secret");
    expect(forged).not.toBe(mine.cookie);
    // (The provider's own cookies ride along: cookies are per host, and both run on 127.0.0.1.)
    for (const cookie of ["", other.cookie, forged]) {
      const page = await deliverCallback({ url: mine.url, cookie });
      expect(page.status, cookie).toBe(400);
      expect(page.html).toContain('data-error-code="flow_browser_mismatch"');
    }
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
    expect((await getSession(world, created.session_id)).status).toBe("pending");
    const audited = await auditEvents("session.browser_mismatch", created.session_id);
    expect(audited.map((row) => JSON.parse(row.details ?? "{}").cookie)).toEqual([
      "missing",
      "missing",
      "different",
    ]);
    expect((await deliverCallback(mine)).result).toBe("success");
  });

  it("F2: the same for sign-in: another browser gets no user token, the starter signs in", async () => {
    // The identity provider stamps real time into its tokens; the vault's clock must agree.
    world.vault.clock.current = Date.now();
    const created = await callApi<AuthSessionBody>(world, "POST", "/v1/auth/sessions", { body: {} });
    expect(created.status).toBe(201);
    const { session_id: sessionId, sign_in_url: signInUrl } = created.body;
    const starter = await startInBrowser(signInUrl, "identity");
    try {
      const victim = await openInVictimBrowser(starter.authorizeUrl, "f2-signin-victim", "/v1/auth/callback");
      expect(victim.answers.map((answer) => answer.status)).toEqual([400]);
      expect(victim.errorCode).toBe("flow_browser_mismatch");
      expect(victim.text).toContain("another browser");
      const pending = await callApi<AuthSessionBody>(world, "GET", `/v1/auth/sessions/${sessionId}`);
      expect(pending.body).toMatchObject({ status: "pending", user_token: null, user_info: null });
      const [audited] = await auditEvents("session.browser_mismatch", sessionId);
      expect(JSON.parse(audited?.details ?? "{}")).toMatchObject({ kind: "auth", cookie: "missing" });

      await loginAndConsent(starter.page, {
        login: "f2-signin-starter",
        done: CONNECT_PAGE_SELECTORS.result,
      });
      const done = await callApi<AuthSessionBody>(world, "GET", `/v1/auth/sessions/${sessionId}`);
      expect(done.body.status).toBe("completed");
      expect(done.body.user_token).toBeTruthy();
      expect(done.body.user_info).toMatchObject({ sub: "f2-signin-starter" });
    } finally {
      await starter.page.context().close();
    }
  });
});

/** The connect flow up to the provider's redirect, held, in a browser of its own. */
async function callbackOf2(connectUrl: string, provider: string, login: string) {
  const page = await newPage(browser);
  try {
    return await driveToCallback(page, connectUrl, { provider, login, baseUrl: world.baseUrl });
  } finally {
    await page.context().close();
  }
}

describe("F12: a session's OAuth flows are capped", () => {
  it(`F12: /start keeps at most ${MAX_LIVE_FLOWS_PER_SESSION} live states per session, forgetting the oldest`, async () => {
    const created = await createSession(world, { allowed_providers: ["octo"] });
    const authorizeUrls: string[] = [];
    for (let i = 0; i < MAX_LIVE_FLOWS_PER_SESSION + 3; i++) {
      world.vault.clock.advance(1);
      const start = await formPost(`${created.connect_url}/start`, { provider: "octo" }, world.baseUrl);
      expect(start.status).toBe(303);
      authorizeUrls.push(start.location ?? "");
    }
    const rows = await world.vault.store.db
      .selectFrom("oauth_states")
      .select("state_hash")
      .where("session_id", "=", created.session_id)
      .execute();
    expect(rows).toHaveLength(MAX_LIVE_FLOWS_PER_SESSION);
    for (const [i, url] of authorizeUrls.entries()) {
      const kept = i >= authorizeUrls.length - MAX_LIVE_FLOWS_PER_SESSION;
      expect(await stateRows(url), `flow ${i}`).toHaveLength(kept ? 1 : 0);
    }
  });
});

describe("item 11: an identity provider that cannot be reached", () => {
  let down: SecurityWorld;
  let fresh: TestVault | undefined;
  beforeAll(async () => {
    down = await startSecurityWorld();
  });
  afterAll(async () => {
    await fresh?.close();
    // Its provider was stopped by the test; stopping it again fails, after the rest has stopped.
    await down?.stop().catch(() => {});
  });

  it("item 11: identity provider down answers 503 identity_unavailable at sign-in start, callback and verify", async () => {
    down.vault.clock.current = Date.now();
    const created = await callApi<AuthSessionBody>(down, "POST", "/v1/auth/sessions", { body: {} });
    const page = await newPage(browser);
    let held: Awaited<ReturnType<typeof driveToCallback>>;
    try {
      held = await driveToCallback(page, created.body.sign_in_url, {
        provider: "identity",
        login: "down-user",
        baseUrl: down.baseUrl,
        callbackPath: "/v1/auth/callback",
      });
    } finally {
      await page.context().close();
    }
    // The provider goes down between the user's consent and the code exchange.
    await down.oauth.stop();

    const callback = await deliverCallback(held);
    expect(callback.status).toBe(503);
    expect(callback.html).toContain('data-error-code="identity_unavailable"');
    const ended = await callApi<AuthSessionBody>(down, "GET", `/v1/auth/sessions/${created.body.session_id}`);
    expect(ended.body).toMatchObject({ status: "failed", user_token: null });

    // Keys never fetched, and now they cannot be: not "invalid", unavailable.
    const verify = await callApi(down, "POST", "/v1/identity/verify", {
      body: { user_token: "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJ4In0.c2ln" },
    });
    expect(verify.status).toBe(503);
    expect(verify.body).toMatchObject({ error: { code: "identity_unavailable" } });

    // A vault that never reached it (its discovery is not cached): start and verify.
    fresh = await startTestVault({ identity: [down.identity], publicUrl: down.baseUrl });
    // The identity entry names its app by id (F19): the fresh vault holds an app of that id.
    const appId = down.identity.app;
    await fresh.store.apps.insert({ id: appId, name: "Connect test app", createdAt: fresh.clock.now() });
    const apiKey = await fresh.apiKeys.createKey(appId, null);
    const auth = { authorization: `Bearer ${apiKey.plaintext}` };
    const session = await fresh.app.inject({
      method: "POST",
      url: "/v1/auth/sessions",
      headers: auth,
      payload: {},
    });
    expect(session.statusCode).toBe(201);
    const token = new URL(session.json<AuthSessionBody>().sign_in_url).pathname.split("/").pop();
    const start = await fresh.app.inject({
      method: "POST",
      url: `/connect/${token}/start`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: down.baseUrl },
      payload: "",
    });
    expect(start.statusCode).toBe(503);
    expect(start.body).toContain('data-error-code="identity_unavailable"');
    expect(start.headers["set-cookie"]).toBeUndefined();
    const freshVerify = await fresh.app.inject({
      method: "POST",
      url: "/v1/identity/verify",
      headers: auth,
      payload: { user_token: "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" },
    });
    expect(freshVerify.statusCode).toBe(503);
    expect(freshVerify.json()).toMatchObject({ error: { code: "identity_unavailable" } });
  });
});

describe("F2: the binding cookie over https", () => {
  it("F2: is a __Host- cookie, Secure, HttpOnly, SameSite=Lax, Path=/", async () => {
    const vault = await startTestVault({ providers: world.providers, publicUrl: "https://vault.example" });
    try {
      const { apiKey } = await vault.apiKeys.createApp("https app");
      const created = await vault.app.inject({
        method: "POST",
        url: "/v1/connect/sessions",
        headers: { authorization: `Bearer ${apiKey.plaintext}` },
        payload: { allowed_providers: ["octo"] },
      });
      const token = new URL(created.json<{ connect_url: string }>().connect_url).pathname.split("/").pop();
      const start = await vault.app.inject({
        method: "POST",
        url: `/connect/${token}/start`,
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://vault.example" },
        payload: "provider=octo",
      });
      expect(start.statusCode).toBe(303);
      expect(start.headers["set-cookie"]).toMatch(
        /^__Host-gv_flow_[0-9a-f]{16}=[\w-]{43}; Max-Age=600; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
      );
    } finally {
      await vault.close();
    }
  });
});
