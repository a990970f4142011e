import { createHash } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import {
  callApi,
  createSession,
  type ErrorBody,
  fetchPage,
  getSession,
  type SessionBody,
} from "./support.js";

/*
 * The connect-session HTTP API (`POST /v1/connect/sessions`, `GET /v1/connect/sessions/<id>`) and
 * the hosted Connect page it links to, against a real vault on loopback (SQLite, FakeClock).
 */

const TEN_MINUTES_MS = 10 * 60 * 1000;
/** The confirmation code: two groups of four from an alphabet without 0/O, 1/I/L. */
const CONFIRMATION_CODE = /^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/;

let world: ConnectWorld;
let browser: Browser;

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

async function sessionRowCount(): Promise<number> {
  const rows = await world.vault.store.db.selectFrom("connect_sessions").select("id").execute();
  return rows.length;
}

/** An HTML form post from the vault's own Connect page (the Origin a browser sends). */
function postForm(url: string, fields: Record<string, string>, origin = world.baseUrl) {
  return fetchPage(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin },
    body: new URLSearchParams(fields).toString(),
  });
}

describe("POST /v1/connect/sessions", () => {
  it("refuses an unknown field with invalid_request and says which", async () => {
    const before = await sessionRowCount();
    const response = await callApi<ErrorBody>(world, "POST", "/v1/connect/sessions", {
      body: { allowed_providers: ["idp"], return_to: "https://app.example/done" },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
    expect(response.body.error.issues?.length).toBeGreaterThan(0);
    expect(JSON.stringify(response.body.error.issues)).toContain("return_to");
    expect(await sessionRowCount()).toBe(before);
  });

  it("refuses a provider the vault does not have with unknown_provider", async () => {
    const before = await sessionRowCount();
    const response = await callApi<ErrorBody>(world, "POST", "/v1/connect/sessions", {
      body: { allowed_providers: ["idp", "nope"] },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("unknown_provider");
    expect(response.body.error.message).toContain("nope");
    expect(response.body.error.issues).toEqual([{ path: "allowed_providers", message: expect.any(String) }]);
    expect(await sessionRowCount()).toBe(before);
  });

  it("refuses a grant policy whose default TTL exceeds its maximum", async () => {
    const response = await callApi<ErrorBody>(world, "POST", "/v1/connect/sessions", {
      body: { grant_policy: { default_ttl_seconds: 7200, max_ttl_seconds: 3600 } },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
    expect(response.body.error.issues?.map((issue) => issue.path)).toContain(
      "grant_policy.default_ttl_seconds",
    );
  });

  it("refuses a body that is not JSON and a request without an API key, without a 500", async () => {
    const notJson = await fetch(`${world.baseUrl}/v1/connect/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as ErrorBody).error.code).toBe("invalid_json");

    const anonymous = await fetch(`${world.baseUrl}/v1/connect/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ErrorBody).error.code).toBe("missing_api_key");
  });

  it("answers 201 with the session id, a gvcs_ token inside connect_url, a confirmation code and a 10-minute expiry", async () => {
    const now = world.vault.clock.now();
    const response = await callApi<Record<string, unknown>>(world, "POST", "/v1/connect/sessions", {
      body: {},
    });
    expect(response.status).toBe(201);
    const body = response.body;
    expect(Object.keys(body).sort()).toEqual([
      "confirmation_code",
      "connect_url",
      "expires_at",
      "session_id",
      "session_token",
    ]);
    expect(body.session_id).toMatch(/^cs_[0-9a-f]{24}$/);
    expect(body.session_token).toMatch(/^gvcs_[A-Za-z0-9_-]{43}$/);
    expect(body.connect_url).toBe(`${world.baseUrl}/connect/${body.session_token}`);
    expect(body.confirmation_code).toMatch(CONFIRMATION_CODE);
    expect(body.expires_at).toBe(new Date(now + TEN_MINUTES_MS).toISOString());

    const other = await createSession(world);
    expect(other.session_id).not.toBe(body.session_id);
    expect(other.session_token).not.toBe(body.session_token);
  });

  it("stores the session token only as its SHA-256 hash", async () => {
    const created = await createSession(world);
    const rows = await world.vault.store.db.selectFrom("connect_sessions").selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(created.session_token);
    expect(dump).not.toContain(created.session_token.slice("gvcs_".length));
    const row = rows.find((candidate) => candidate.id === created.session_id);
    expect(row?.token_hash).toBe(createHash("sha256").update(created.session_token).digest("hex"));
  });
});

describe("GET /v1/connect/sessions/<id>", () => {
  it("shows a new session as pending, with neither results nor error", async () => {
    const created = await createSession(world);
    const response = await callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${created.session_id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      session_id: created.session_id,
      status: "pending",
      expires_at: created.expires_at,
      results: null,
      error: null,
    });
  });

  it("answers another app's session as not_found, with or without wait", async () => {
    const created = await createSession(world);
    const { apiKey: otherKey } = await world.vault.apiKeys.createApp("Another app");
    for (const query of ["", "?wait=5"]) {
      const started = Date.now();
      const response = await callApi<ErrorBody>(
        world,
        "GET",
        `/v1/connect/sessions/${created.session_id}${query}`,
        { apiKey: otherKey.plaintext },
      );
      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe("not_found");
      // Not held: there is nothing of this app's to wait for.
      expect(Date.now() - started).toBeLessThan(4_000);
    }
    // Still there for its own app.
    expect((await getSession(world, created.session_id)).status).toBe("pending");
  });

  it("answers an unknown but well-formed id as not_found", async () => {
    const response = await callApi<ErrorBody>(world, "GET", `/v1/connect/sessions/cs_${"0".repeat(24)}`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("not_found");
  });

  it.each(["cs_123", `cs_${"G".repeat(24)}`, `grant_${"0".repeat(24)}`, "%27%20OR%201%3D1"])(
    "refuses the malformed id %s with invalid_request",
    async (id) => {
      const response = await callApi<ErrorBody>(world, "GET", `/v1/connect/sessions/${id}`);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("invalid_request");
    },
  );

  it.each(["31", "-1", "abc", "3600"])("refuses wait=%s with invalid_request", async (wait) => {
    const created = await createSession(world);
    const started = Date.now();
    const response = await callApi<ErrorBody>(
      world,
      "GET",
      `/v1/connect/sessions/${created.session_id}?wait=${wait}`,
    );
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_request");
    expect(response.body.error.issues?.map((issue) => issue.path)).toContain("wait");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("accepts wait=30 (the maximum) on a finished session and answers at once", async () => {
    const created = await createSession(world);
    const page = await fetchPage(`${created.connect_url}/cancel`, {
      method: "POST",
      headers: { origin: world.baseUrl },
    });
    expect(page.result).toBe("denied");
    const started = Date.now();
    const response = await callApi<SessionBody>(
      world,
      "GET",
      `/v1/connect/sessions/${created.session_id}?wait=30`,
    );
    expect(response.status).toBe(200);
    expect(response.body.status).toBe("denied");
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("reports a session past its expiry as expired, and its Connect page answers 410", async () => {
    const created = await createSession(world);
    world.vault.clock.advance(TEN_MINUTES_MS - 1_000);
    expect((await getSession(world, created.session_id)).status).toBe("pending");
    expect((await fetchPage(created.connect_url)).status).toBe(200);

    world.vault.clock.advance(2_000);
    const session = await callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${created.session_id}`);
    expect(session.body).toMatchObject({ status: "expired", results: null, expires_at: created.expires_at });
    // A long-poll on an expired session is not held either.
    const started = Date.now();
    const waited = await callApi<SessionBody>(
      world,
      "GET",
      `/v1/connect/sessions/${created.session_id}?wait=10`,
    );
    expect(waited.body.status).toBe("expired");
    expect(Date.now() - started).toBeLessThan(4_000);

    const page = await fetchPage(created.connect_url);
    expect(page.status).toBe(410);
    expect(page.result).toBe("error");
    expect(page.html).toContain("expired");
    expect(page.html).not.toContain("data-provider=");

    // Nor can it be started any more.
    const start = await postForm(`${created.connect_url}/start`, { provider: "idp" });
    expect(start.status).toBe(410);
    expect(start.location).toBeNull();
  });
});

describe("the hosted Connect page", () => {
  it("offers every configured provider when allowed_providers is omitted", async () => {
    const created = await createSession(world);
    const page = await fetchPage(created.connect_url);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-provider="idp"');
    expect(page.html).toContain('data-provider="octo"');
    expect(page.html).toContain(created.confirmation_code);
  });

  it("offers only the allowed providers, and refuses to start another one", async () => {
    const created = await createSession(world, { allowed_providers: ["octo"] });
    const page = await fetchPage(created.connect_url);
    expect(page.status).toBe(200);
    expect(page.html).toContain('data-provider="octo"');
    expect(page.html).not.toContain('data-provider="idp"');

    const forged = await postForm(`${created.connect_url}/start`, { provider: "idp" });
    expect(forged.status).toBe(400);
    expect(forged.result).toBe("error");
    expect(forged.location).toBeNull();

    const allowed = await postForm(`${created.connect_url}/start`, { provider: "octo" });
    expect(allowed.status).toBe(303);
    expect(allowed.location?.startsWith(world.oauth.authorizationUrl)).toBe(true);
    expect((await getSession(world, created.session_id)).status).toBe("pending");
  });

  it("answers an unknown token with 404 and a result page", async () => {
    const page = await fetchPage(`${world.baseUrl}/connect/gvcs_${"A".repeat(43)}`);
    expect(page.status).toBe(404);
    expect(page.result).toBe("error");
  });

  it("is sent with a strict CSP, no framing and no caching", async () => {
    const created = await createSession(world);
    const page = await fetchPage(created.connect_url);
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    const directives = new Map(
      csp
        .split(";")
        .map((directive) => directive.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map(([name, ...values]) => [name, values] as const),
    );
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(directives.get("default-src")).toEqual(["'none'"]);
    expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
    expect(directives.get("script-src")?.every((source) => source.startsWith("'nonce-"))).toBe(true);
    const formAction = directives.get("form-action") ?? [];
    expect(formAction).toContain("'self'");
    expect(formAction).toContain(new URL(world.oauth.authorizationUrl).origin);
    expect(formAction).not.toContain("*");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-type")).toContain("text/html");
    // The inline script and style run under the header's nonce, and only under it.
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(page.html).toContain(`<script nonce="${nonce}">`);
  });
});

describe("grant policy", () => {
  it("is echoed in the result and sets the grant's expiry from the completion time", async () => {
    const created = await createSession(world, {
      allowed_providers: ["octo"],
      grant_policy: { default_ttl_seconds: 3600, max_ttl_seconds: 7200 },
    });
    // The FakeClock does not move during the flow: this is the completion time.
    const completedAt = world.vault.clock.now();
    const page = await newPage(browser);
    try {
      const flow = await completeConnectFlow(page, created.connect_url, {
        provider: "octo",
        login: "gp-user",
      });
      expect(flow.result, flow.text).toBe("success");
    } finally {
      await page.context().close();
    }
    const session = await getSession(world, created.session_id);
    expect(session.status).toBe("completed");
    expect(session.results).toHaveLength(1);
    const [result] = session.results ?? [];
    expect(result?.grant_policy).toEqual({ default_ttl_seconds: 3600, max_ttl_seconds: 7200 });
    expect(result).toMatchObject({ provider_id: "octo", account_identifier: "gp-user" });

    const grant = await world.vault.store.db
      .selectFrom("grants")
      .selectAll()
      .where("id", "=", result?.grant_id ?? "")
      .executeTakeFirstOrThrow();
    expect(grant.app_id).toBe(world.appId);
    expect(Number(grant.expires_at)).toBe(completedAt + 3600 * 1000);
  });
});
