import { describe, expect, it } from "vitest";
import {
  allGrants,
  callbackOf,
  formPost,
  grantsOf,
  runFlow,
  useSecurityWorlds,
  world,
} from "./connect-security-world.js";
import {
  callApi,
  createSession,
  deliverCallback,
  fetchPage,
  getSession,
  type SessionBody,
} from "./support.js";

/**
 * Connect security of sessions: the Connect page's forms, one result per session, reconnecting
 * an account, and no token where it does not belong.
 */

useSecurityWorlds({ postgres: false });

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

    expect((await deliverCallback(first)).result).toBe("success");
    const completed = await getSession(world, created.session_id);
    const late = await deliverCallback(second);
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
    const held = await callbackOf(created.connect_url, "octo", "too-late-user");
    // The user took longer than the session's 10 minutes at the provider.
    world.vault.clock.advance(10 * 60 * 1000 + 1_000);
    const tokenRequestsBefore = world.tokenResponses.length;

    const page = await deliverCallback(held);
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
