import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  allCredentials,
  allGrants,
  callbackOf,
  formPost,
  grantsOf,
  postgresWorld,
  runFlow,
  stateRows,
  useSecurityWorlds,
  world,
} from "./connect-security-world.js";
import { createSession, deliverCallback, fetchPage, getSession, recordCallbacks } from "./support.js";

/** Connect security at the OAuth callback: replays, misdirected, forged or tampered callbacks, and races. */

useSecurityWorlds({ postgres: true });

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
    const held = await callbackOf(created.connect_url, "idp", "misdirected-user");
    const callbackUrl = held.url;
    expect(new URL(callbackUrl).pathname).toBe("/v1/oauth/callback/idp");
    expect((await getSession(world, created.session_id)).status).toBe("pending");
    expect(await stateRows(callbackUrl)).toHaveLength(1);

    const misdirected = new URL(callbackUrl);
    misdirected.pathname = "/v1/oauth/callback/octo";
    const tokenRequestsBefore = world.tokenResponses.length;
    const refused = await deliverCallback(held, misdirected.href);
    expect(refused.status).toBe(400);
    expect(refused.result).toBe("error");
    expect(world.tokenResponses).toHaveLength(tokenRequestsBefore);
    expect(await getSession(world, created.session_id)).toMatchObject({ status: "pending", error: null });
    expect(await stateRows(callbackUrl)).toHaveLength(1);

    // The genuine callback still works: the state was not taken by the wrong one.
    const genuine = await deliverCallback(held);
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
    const held = await callbackOf(created.connect_url, "idp", "iss-user");
    const callbackUrl = held.url;
    expect(new URL(callbackUrl).searchParams.get("iss")).toBe(world.oauth.issuer);

    const tampered = new URL(callbackUrl);
    tampered.searchParams.set("iss", "https://evil.example");
    const tokenRequestsBefore = world.tokenResponses.length;
    const refused = await deliverCallback(held, tampered.href);
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
    const late = await deliverCallback(held);
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
    const held = await callbackOf(created.connect_url, "idp", "no-iss-user");
    const callbackUrl = new URL(held.url);
    callbackUrl.searchParams.delete("iss");
    const refused = await deliverCallback(held, callbackUrl.href);
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
    const held = await callbackOf(created.connect_url, "idp", "twice-user", w);
    const tokenRequestsBefore = w.tokenResponses.length;

    const pages = await Promise.all([deliverCallback(held), deliverCallback(held)]);
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
    const pages = await Promise.all([deliverCallback(firstCallback), deliverCallback(secondCallback)]);
    expect(pages.map((page) => page.result)).toEqual(["success", "success"]);
    const sessions = await Promise.all([getSession(w, first.session_id), getSession(w, second.session_id)]);
    expect(sessions.map((session) => session.status)).toEqual(["completed", "completed"]);
    const [firstGrant, secondGrant] = sessions.map((session) => session.results?.[0]?.grant_id);
    expect(firstGrant).toMatch(/^grant_/);
    expect(secondGrant).toBe(firstGrant);
    expect(await grantsOf("racing-rita@example.test", w)).toHaveLength(1);
  });
});
