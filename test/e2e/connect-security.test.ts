import { createHash, randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { type ConnectAction, type ConnectFlowResult, completeConnectFlow } from "../harness/connect-flow.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import {
  callApi,
  createSession,
  driveToCallback,
  fetchPage,
  getSession,
  recordCallbacks,
  type SecurityWorld,
  type SessionBody,
  startSecurityWorld,
} from "./support.js";

/*
 * The security properties of headless connect (DESIGN.md §2 "Headless connect", §4), end to end:
 * a real vault on loopback, a real authorization server, headless Chromium. Each test uses its own
 * login at the provider, so grants of different tests never meet.
 */

let world: SecurityWorld;
/** For the races, which PostgreSQL runs truly concurrently (separate connections). */
let postgresWorld: SecurityWorld;
let database: TestDatabase;
let browser: Browser;

beforeAll(async () => {
  database = await createTestDatabase();
  [world, postgresWorld, browser] = await Promise.all([
    startSecurityWorld(),
    startSecurityWorld({ databaseUrl: database.url }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
  await postgresWorld?.stop();
  await database?.drop();
});

/** Runs a whole flow in a fresh browser context; `onPage` may watch the page before it starts. */
async function runFlow(
  connectUrl: string,
  options: { provider: string; login: string; action?: ConnectAction },
  onPage?: (page: Page) => void,
): Promise<ConnectFlowResult & { html: string }> {
  const page = await newPage(browser);
  try {
    onPage?.(page);
    const flow = await completeConnectFlow(page, connectUrl, options);
    return { ...flow, html: await page.content() };
  } finally {
    await page.context().close();
  }
}

/** Runs a flow up to the provider's redirect, which is kept from the vault and returned. */
async function callbackOf(
  connectUrl: string,
  provider: string,
  login: string,
  w: SecurityWorld = world,
): Promise<string> {
  const page = await newPage(browser);
  try {
    return await driveToCallback(page, connectUrl, { provider, login, baseUrl: w.baseUrl });
  } finally {
    await page.context().close();
  }
}

function grantsOf(accountIdentifier: string, w: SecurityWorld = world) {
  return w.vault.store.db
    .selectFrom("grants")
    .selectAll()
    .where("app_id", "=", w.appId)
    .where("account_identifier", "=", accountIdentifier)
    .execute();
}

async function allGrants() {
  return world.vault.store.db.selectFrom("grants").selectAll().orderBy("id").execute();
}

async function allCredentials() {
  return world.vault.store.db.selectFrom("credentials").selectAll().orderBy("grant_id").execute();
}

/** The stored row of an OAuth `state` (kept as its SHA-256), if it is still there to be used. */
async function stateRows(callbackUrl: string) {
  const state = new URL(callbackUrl).searchParams.get("state") ?? "";
  return world.vault.store.db
    .selectFrom("oauth_states")
    .selectAll()
    .where("state_hash", "=", createHash("sha256").update(state).digest("hex"))
    .execute();
}

function formPost(url: string, fields: Record<string, string>, origin: string) {
  return fetchPage(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin },
    body: new URLSearchParams(fields).toString(),
  });
}

describe("OAuth callback", () => {
  it("(a) refuses a replayed callback and changes nothing", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    let callbacks: string[] = [];
    const flow = await runFlow(created.connect_url, { provider: "idp", login: "replay-user" }, (page) => {
      callbacks = recordCallbacks(page, world.baseUrl);
    });
    expect(flow.result, flow.text).toBe("success");
    expect(callbacks).toHaveLength(1);
    const [callbackUrl = ""] = callbacks;
    expect(new URL(callbackUrl).pathname).toBe("/v1/oauth/callback/idp");
    expect(new URL(callbackUrl).searchParams.get("state")).toBeTruthy();
    // Single use: the state was taken out when the callback used it (the session being finished
    // must not be the only thing standing between a replay and a second exchange).
    expect(await stateRows(callbackUrl)).toEqual([]);

    const sessionBefore = await getSession(world, created.session_id);
    expect(sessionBefore.status).toBe("completed");
    const grantsBefore = await allGrants();
    const credentialsBefore = await allCredentials();
    const tokenRequestsBefore = world.tokenResponses.length;

    const replay = await fetchPage(callbackUrl);
    expect(replay.status).toBe(400);
    expect(replay.result).toBe("error");

    expect(await getSession(world, created.session_id)).toEqual(sessionBefore);
    expect(sessionBefore.results).toHaveLength(1);
    expect(await allGrants()).toEqual(grantsBefore);
    expect(await allCredentials()).toEqual(credentialsBefore);
    // The replayed code never reached the provider's token endpoint.
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
  });

  it("(b) refuses a state at another provider's callback without burning it", async () => {
    const created = await createSession(world, { allowed_providers: ["idp", "octo"] });
    const callbackUrl = await callbackOf(created.connect_url, "idp", "misdirected-user");
    expect(new URL(callbackUrl).pathname).toBe("/v1/oauth/callback/idp");
    expect((await getSession(world, created.session_id)).status).toBe("pending");
    expect(await stateRows(callbackUrl)).toHaveLength(1);

    const misdirected = new URL(callbackUrl);
    misdirected.pathname = "/v1/oauth/callback/octo";
    const tokenRequestsBefore = world.tokenResponses.length;
    const refused = await fetchPage(misdirected.href);
    expect(refused.status).toBe(400);
    expect(refused.result).toBe("error");
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
    expect(await getSession(world, created.session_id)).toMatchObject({ status: "pending", error: null });
    expect(await stateRows(callbackUrl)).toHaveLength(1);

    // The genuine callback still works: the state was not taken by the wrong one.
    const genuine = await fetchPage(callbackUrl);
    expect(genuine.status, genuine.html).toBe(200);
    expect(genuine.result).toBe("success");
    expect(await getSession(world, created.session_id)).toMatchObject({
      status: "completed",
      results: [{ provider_id: "idp", account_identifier: "misdirected-user@example.test" }],
    });
    expect(await stateRows(callbackUrl)).toEqual([]);
  });

  it("(c) refuses a forged or missing state, and the session stays usable", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    // A real flow started for the session: its state is in the table, the forged one is not.
    const started = await formPost(`${created.connect_url}/start`, { provider: "idp" }, world.baseUrl);
    expect(started.status).toBe(303);
    const grantsBefore = await allGrants();
    const iss = encodeURIComponent(world.oauth.issuer);
    const forged = [
      `/v1/oauth/callback/idp?code=${randomBytes(16).toString("hex")}&state=${randomBytes(32).toString("base64url")}&iss=${iss}`,
      `/v1/oauth/callback/idp?code=${randomBytes(16).toString("hex")}&iss=${iss}`,
      `/v1/oauth/callback/idp?error=access_denied&state=${randomBytes(32).toString("base64url")}`,
      `/v1/oauth/callback/idp`,
      `/v1/oauth/callback/nope?code=abc&state=${randomBytes(32).toString("base64url")}`,
    ];
    for (const path of forged) {
      const page = await fetchPage(`${world.baseUrl}${path}`);
      expect(page.status, path).toBe(400);
      expect(page.result, path).toBe("error");
    }
    expect(await getSession(world, created.session_id)).toMatchObject({ status: "pending", error: null });
    expect(await allGrants()).toEqual(grantsBefore);
    expect((await fetchPage(created.connect_url)).status).toBe(200);
  });

  it("(i) fails the session when the callback's iss is not the provider's (RFC 9207)", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const callbackUrl = await callbackOf(created.connect_url, "idp", "iss-user");
    expect(new URL(callbackUrl).searchParams.get("iss")).toBe(world.oauth.issuer);

    const tampered = new URL(callbackUrl);
    tampered.searchParams.set("iss", "https://evil.example");
    const tokenRequestsBefore = world.tokenResponses.length;
    const refused = await fetchPage(tampered.href);
    expect(refused.status).toBe(400);
    expect(refused.result).toBe("error");
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
    expect(await getSession(world, created.session_id)).toMatchObject({
      status: "failed",
      results: null,
      error: { code: "invalid_callback" },
    });
    expect(await grantsOf("iss-user@example.test")).toEqual([]);

    // The untouched response cannot complete it afterwards.
    const late = await fetchPage(callbackUrl);
    expect(late.status).toBe(400);
    expect((await getSession(world, created.session_id)).status).toBe("failed");
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
  });

  it("(i) fails the session when iss is missing though the provider announces it (RFC 9207 §2.4)", async () => {
    const metadata = (await (
      await fetch(`${world.oauth.issuer}/.well-known/openid-configuration`)
    ).json()) as {
      authorization_response_iss_parameter_supported?: boolean;
    };
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const callbackUrl = new URL(await callbackOf(created.connect_url, "idp", "no-iss-user"));
    callbackUrl.searchParams.delete("iss");
    const refused = await fetchPage(callbackUrl.href);
    expect(refused.status).toBe(400);
    expect(await getSession(world, created.session_id)).toMatchObject({
      status: "failed",
      error: { code: "invalid_callback" },
    });
  });
});

describe.each(["sqlite", "postgres"] as const)("races (%s)", (engine) => {
  const worldOf = (name: typeof engine) => (name === "postgres" ? postgresWorld : world);

  it("(a) uses a callback delivered twice at once only once", async () => {
    const w = worldOf(engine);
    const created = await createSession(w, { allowed_providers: ["idp"] });
    const callbackUrl = await callbackOf(created.connect_url, "idp", "twice-user", w);
    const tokenRequestsBefore = w.tokenResponses.length;

    const pages = await Promise.all([fetchPage(callbackUrl), fetchPage(callbackUrl)]);
    expect(pages.map((page) => page.result).sort()).toEqual(["error", "success"]);
    expect(pages.map((page) => page.status).sort()).toEqual([200, 400]);
    // One code exchange: the provider never sees the code twice (which would revoke what it issued).
    expect(w.tokenResponses).toHaveLength(tokenRequestsBefore + 1);
    const session = await getSession(w, created.session_id);
    expect(session).toMatchObject({ status: "completed", results: [{ provider_id: "idp" }] });
    expect(session.results).toHaveLength(1);
    expect(await grantsOf("twice-user@example.test", w)).toHaveLength(1);
  });

  it("(h) the same new account connected from two sessions at once gets one grant", async () => {
    const w = worldOf(engine);
    const [first, second] = await Promise.all([
      createSession(w, { allowed_providers: ["idp"] }),
      createSession(w, { allowed_providers: ["idp"] }),
    ]);
    const [firstCallback, secondCallback] = await Promise.all([
      callbackOf(first.connect_url, "idp", "racing-rita", w),
      callbackOf(second.connect_url, "idp", "racing-rita", w),
    ]);
    const pages = await Promise.all([fetchPage(firstCallback), fetchPage(secondCallback)]);
    expect(pages.map((page) => page.result)).toEqual(["success", "success"]);
    const sessions = await Promise.all([getSession(w, first.session_id), getSession(w, second.session_id)]);
    expect(sessions.map((session) => session.status)).toEqual(["completed", "completed"]);
    const [firstGrant, secondGrant] = sessions.map((session) => session.results?.[0]?.grant_id);
    expect(firstGrant).toMatch(/^grant_/);
    expect(secondGrant).toBe(firstGrant);
    expect(await grantsOf("racing-rita@example.test", w)).toHaveLength(1);
  });
});

describe("Connect page forms", () => {
  it("(d) refuses form posts from another origin: no redirect, and the session stays pending", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    for (const origin of ["https://evil.example", "null", "http://127.0.0.1:1"]) {
      const start = await formPost(`${created.connect_url}/start`, { provider: "idp" }, origin);
      expect(start.status, origin).toBe(403);
      expect(start.location, origin).toBeNull();
      expect(start.result).toBe("error");

      const cancel = await formPost(`${created.connect_url}/cancel`, {}, origin);
      expect(cancel.status, origin).toBe(403);
      expect(cancel.result).toBe("error");
    }
    expect(await getSession(world, created.session_id)).toMatchObject({ status: "pending", error: null });

    // The same post from the vault's own page is accepted (what the 403s above are measured against).
    const own = await formPost(`${created.connect_url}/start`, { provider: "idp" }, world.baseUrl);
    expect(own.status).toBe(303);
    expect(own.location?.startsWith(`${world.oauth.issuer}/`)).toBe(true);
  });

  it("(e) a denial at the provider ends the session as denied (access_denied)", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const flow = await runFlow(created.connect_url, {
      provider: "idp",
      login: "deny-user",
      action: "deny-at-provider",
    });
    expect(flow.result, flow.text).toBe("denied");
    const session = await getSession(world, created.session_id);
    expect(session).toMatchObject({ status: "denied", results: null, error: { code: "access_denied" } });
    expect(await grantsOf("deny-user@example.test")).toEqual([]);
  });

  it("(f) Cancel on the Connect page ends the session as denied", async () => {
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const flow = await runFlow(created.connect_url, {
      provider: "idp",
      login: "cancel-user",
      action: "cancel-on-connect-page",
    });
    expect(flow.result, flow.text).toBe("denied");
    expect(await getSession(world, created.session_id)).toMatchObject({
      status: "denied",
      results: null,
      error: { code: "access_denied" },
    });
    expect((await fetchPage(created.connect_url)).status).toBe(410);
  });

  it("(g) a session completes once: its link is then refused as already used", async () => {
    const created = await createSession(world, { allowed_providers: ["octo"] });
    const flow = await runFlow(created.connect_url, { provider: "octo", login: "once-user" });
    expect(flow.result, flow.text).toBe("success");
    const completed = await getSession(world, created.session_id);
    expect(completed.status).toBe("completed");

    const page = await fetchPage(created.connect_url);
    expect(page.status).toBe(410);
    expect(page.result).toBe("error");
    expect(page.html).toContain("already used");
    expect(page.html).not.toContain("data-provider=");

    const start = await formPost(`${created.connect_url}/start`, { provider: "octo" }, world.baseUrl);
    expect(start.status).toBe(410);
    expect(start.location).toBeNull();
    const cancel = await formPost(`${created.connect_url}/cancel`, {}, world.baseUrl);
    expect(cancel.status).toBe(410);
    expect(await getSession(world, created.session_id)).toEqual(completed);
  });
});

describe("one session, one result", () => {
  it("(g) of two flows started for one session, only the first to return completes it", async () => {
    const created = await createSession(world, { allowed_providers: ["idp", "octo"] });
    // Two tabs on the same Connect link, both signed in at the provider.
    const first = await callbackOf(created.connect_url, "idp", "two-tabs-a");
    const second = await callbackOf(created.connect_url, "octo", "two-tabs-b");
    const tokenRequestsBefore = world.tokenResponses.length;

    expect((await fetchPage(first)).result).toBe("success");
    const completed = await getSession(world, created.session_id);
    const late = await fetchPage(second);
    expect(late.status).toBe(400);
    expect(late.result).toBe("error");

    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore + 1);
    expect(await getSession(world, created.session_id)).toEqual(completed);
    expect(completed.results).toEqual([
      expect.objectContaining({ provider_id: "idp", account_identifier: "two-tabs-a@example.test" }),
    ]);
    expect(await grantsOf("two-tabs-b")).toEqual([]);
  });

  it("(k) a callback arriving after the session expired completes nothing", async () => {
    const created = await createSession(world, { allowed_providers: ["octo"] });
    const callbackUrl = await callbackOf(created.connect_url, "octo", "too-late-user");
    // The user took longer than the session's 10 minutes at the provider.
    world.vault.clock.advance(10 * 60 * 1000 + 1_000);
    const tokenRequestsBefore = world.tokenResponses.length;

    const page = await fetchPage(callbackUrl);
    expect(page.status).toBe(400);
    expect(page.result).toBe("error");
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
    expect(await getSession(world, created.session_id)).toMatchObject({ status: "expired", results: null });
    expect(await grantsOf("too-late-user")).toEqual([]);
  });
});

describe("grants", () => {
  it("(h) reconnecting the same account re-authorizes the same grant", async () => {
    const first = await createSession(world, { allowed_providers: ["idp"] });
    expect((await runFlow(first.connect_url, { provider: "idp", login: "henry" })).result).toBe("success");
    const [firstResult] = (await getSession(world, first.session_id)).results ?? [];
    const [rowBefore] = await grantsOf("henry@example.test");
    const credentialBefore = await world.vault.store.db
      .selectFrom("credentials")
      .selectAll()
      .where("grant_id", "=", firstResult?.grant_id ?? "")
      .executeTakeFirstOrThrow();

    world.vault.clock.advance(60_000);
    const second = await createSession(world, { allowed_providers: ["idp"] });
    expect((await runFlow(second.connect_url, { provider: "idp", login: "henry" })).result).toBe("success");
    const [secondResult] = (await getSession(world, second.session_id)).results ?? [];

    expect(firstResult?.grant_id).toMatch(/^grant_/);
    expect(secondResult?.grant_id).toBe(firstResult?.grant_id);
    const rows = await grantsOf("henry@example.test");
    expect(rows).toHaveLength(1);
    const [rowAfter] = rows;
    expect(rowAfter?.id).toBe(rowBefore?.id);
    expect(Number(rowAfter?.created_at)).toBe(Number(rowBefore?.created_at));
    expect(Number(rowAfter?.updated_at)).toBe(Number(rowBefore?.updated_at) + 60_000);
    // Fresh tokens, sealed again.
    const credentialAfter = await world.vault.store.db
      .selectFrom("credentials")
      .selectAll()
      .where("grant_id", "=", firstResult?.grant_id ?? "")
      .executeTakeFirstOrThrow();
    expect(credentialAfter.secret).not.toBe(credentialBefore.secret);
    expect(Number(credentialAfter.updated_at)).toBe(Number(credentialBefore.updated_at) + 60_000);
  });
});

describe("secrets", () => {
  it("(j) tokens never appear in API responses, result pages or clear-text rows", async () => {
    const tokenRequestsBefore = world.tokenResponses.length;
    const created = await callApi(world, "POST", "/v1/connect/sessions", {
      body: { allowed_providers: ["idp"] },
    });
    expect(created.status).toBe(201);
    const { session_id: sessionId, connect_url: connectUrl } = created.body as {
      session_id: string;
      connect_url: string;
    };
    const held = callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${sessionId}?wait=15`);
    const toProvider: { url: string; referer: string | undefined }[] = [];
    const flow = await runFlow(connectUrl, { provider: "idp", login: "secret-user" }, (page) => {
      page.on("request", (request) => {
        if (request.url().startsWith(world.oauth.issuer)) {
          toProvider.push({ url: request.url(), referer: request.headers().referer });
        }
      });
    });
    expect(flow.result, flow.text).toBe("success");
    const waited = await held;
    const read = await callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${sessionId}`);
    expect(read.body.status).toBe("completed");
    const grantId = read.body.results?.[0]?.grant_id ?? "";

    // What the provider handed the vault...
    expect(world.tokenResponses.length).toBe(tokenRequestsBefore + 1);
    const issued = JSON.parse(world.tokenResponses.at(-1) ?? "{}") as Record<string, string>;
    const secrets = [issued.access_token, issued.refresh_token, issued.id_token];
    for (const secret of secrets) expect(secret).toBeTruthy();
    // ...is what the vault keeps, sealed.
    const tokens = await world.credentials.load(grantId);
    expect(tokens).toMatchObject({
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      idToken: issued.id_token,
    });
    const [credential] = await world.vault.store.db
      .selectFrom("credentials")
      .selectAll()
      .where("grant_id", "=", grantId)
      .execute();
    expect(credential?.secret.startsWith("gv1:")).toBe(true);

    const seen: [string, string][] = [
      ["POST /v1/connect/sessions", created.text],
      ["GET ?wait=15", waited.text],
      ["GET", read.text],
      ["result page", flow.html],
      ["credentials row", JSON.stringify(credential)],
      [
        "connect_sessions rows",
        JSON.stringify(await world.vault.store.db.selectFrom("connect_sessions").selectAll().execute()),
      ],
      ["grants rows", JSON.stringify(await allGrants())],
      [
        "oauth_states rows",
        JSON.stringify(await world.vault.store.db.selectFrom("oauth_states").selectAll().execute()),
      ],
    ];
    for (const [where, text] of seen) {
      for (const secret of secrets)
        expect(text.includes(secret as string), `${where} leaks a token`).toBe(false);
    }
    // The Connect link (a bearer secret) is not handed to the provider in a Referer either.
    const sessionToken = connectUrl.slice(connectUrl.lastIndexOf("/") + 1);
    expect(toProvider.length).toBeGreaterThan(0);
    for (const { url, referer } of toProvider) {
      expect(url).not.toContain(sessionToken);
      expect(referer ?? "", url).not.toContain(sessionToken);
    }
    for (const [where, text] of seen.slice(0, 3)) {
      expect(text, where).not.toMatch(/access_token|refresh_token|id_token/);
    }
  });
});
