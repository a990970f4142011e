import { setTimeout as sleep } from "node:timers/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import {
  callApi,
  createSession,
  type ErrorBody,
  type SecurityWorld,
  type SessionBody,
  startSecurityWorld,
} from "./support.js";

/*
 * `GET /v1/connect/sessions/<id>?wait=N` answers as soon as the session changes — in the process
 * that completed it, and (PostgreSQL) in any other process sharing the database. Timing bounds are
 * deliberately loose: they tell "woken by the change" from "answered when the wait ran out".
 */

let browser: Browser;
let database: TestDatabase;
const worlds: Record<"sqlite" | "postgres", SecurityWorld | undefined> = {
  sqlite: undefined,
  postgres: undefined,
};

beforeAll(async () => {
  database = await createTestDatabase();
  [browser, worlds.sqlite, worlds.postgres] = await Promise.all([
    launchBrowser(),
    startSecurityWorld(),
    startSecurityWorld({ databaseUrl: database.url }),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await worlds.sqlite?.stop();
  await worlds.postgres?.stop();
  await database?.drop();
});

function worldOf(engine: "sqlite" | "postgres"): SecurityWorld {
  const world = worlds[engine];
  if (!world) throw new Error(`the ${engine} world did not start`);
  return world;
}

/** Completes a flow in the browser; resolves with when the result page showed. */
async function completeInBrowser(connectUrl: string, login: string): Promise<number> {
  const page = await newPage(browser);
  try {
    const flow = await completeConnectFlow(page, connectUrl, { provider: "idp", login });
    expect(flow.result, flow.text).toBe("success");
    return Date.now();
  } finally {
    await page.context().close();
  }
}

/** Tracks when a promise settled, without awaiting it. */
function timed<T>(promise: Promise<T>): { promise: Promise<T>; settledAt: () => number | null } {
  let settledAt: number | null = null;
  const tracked = promise.finally(() => {
    settledAt = Date.now();
  });
  return { promise: tracked, settledAt: () => settledAt };
}

describe.each(["sqlite", "postgres"] as const)("long-poll (%s)", (engine) => {
  it("is answered soon after the session completes, well before the wait runs out", async () => {
    const world = worldOf(engine);
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const issuedAt = Date.now();
    const poll = timed(
      callApi<SessionBody>(world, "GET", `/v1/connect/sessions/${created.session_id}?wait=10`),
    );
    // Held while the session is pending.
    await sleep(300);
    expect(poll.settledAt()).toBeNull();

    const flowStartedAt = Date.now();
    const flowEndedAt = await completeInBrowser(created.connect_url, `poll-${engine}`);
    const response = await poll.promise;
    const answeredAt = poll.settledAt() ?? Number.NaN;

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: "completed",
      results: [{ provider_id: "idp", account_identifier: `poll-${engine}@example.test` }],
    });
    expect(answeredAt).toBeGreaterThanOrEqual(flowStartedAt);
    expect(answeredAt - issuedAt).toBeLessThan(9_000);
    // Woken by the completion, not by a timer (generous: the flow itself takes ~2 s).
    expect(answeredAt - flowEndedAt).toBeLessThan(3_000);
  });

  it("answers pending when the wait runs out on a session that does not change", async () => {
    const world = worldOf(engine);
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const started = Date.now();
    const response = await callApi<SessionBody>(
      world,
      "GET",
      `/v1/connect/sessions/${created.session_id}?wait=1`,
    );
    const elapsed = Date.now() - started;
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "pending", results: null, error: null });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("is answered at once when the session is already finished or not the caller's", async () => {
    const world = worldOf(engine);
    const created = await createSession(world, { allowed_providers: ["idp"] });
    const cancel = await fetch(`${created.connect_url}/cancel`, {
      method: "POST",
      headers: { origin: world.baseUrl },
    });
    expect(cancel.status).toBe(200);

    let started = Date.now();
    const finished = await callApi<SessionBody>(
      world,
      "GET",
      `/v1/connect/sessions/${created.session_id}?wait=20`,
    );
    expect(finished.body.status).toBe("denied");
    expect(Date.now() - started).toBeLessThan(4_000);

    const pending = await createSession(world, { allowed_providers: ["idp"] });
    const { apiKey: otherKey } = await world.vault.apiKeys.createApp(`Other app (${engine})`);
    started = Date.now();
    const foreign = await callApi<ErrorBody>(
      world,
      "GET",
      `/v1/connect/sessions/${pending.session_id}?wait=20`,
      { apiKey: otherKey.plaintext },
    );
    expect(foreign.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});

describe("long-poll across vault processes (PostgreSQL)", () => {
  it("wakes a long-poll held by another process when the flow completes on this one", {
    timeout: 45_000,
  }, async () => {
    const world = worldOf("postgres");
    // Vault B: same database, providers and keys, its own pool and LISTEN connection; not listening.
    const peer = await world.startPeer();
    const created = await createSession(world, { allowed_providers: ["idp"] });

    const issuedAt = Date.now();
    const held = timed(
      peer.app.inject({
        method: "GET",
        url: `/v1/connect/sessions/${created.session_id}?wait=20`,
        headers: { authorization: `Bearer ${world.apiKey}` },
      }),
    );
    await sleep(500);
    expect(held.settledAt(), "vault B answered before anything happened").toBeNull();

    const flowStartedAt = Date.now();
    const flowEndedAt = await completeInBrowser(created.connect_url, "cross-process-user");
    const response = await held.promise;
    const answeredAt = held.settledAt() ?? Number.NaN;

    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      session_id: created.session_id,
      status: "completed",
      results: [{ provider_id: "idp", account_identifier: "cross-process-user@example.test" }],
    });
    expect(answeredAt).toBeGreaterThanOrEqual(flowStartedAt);
    // Without the cross-process wake-up, B would answer only when its 20 s wait ran out.
    expect(answeredAt - issuedAt).toBeLessThan(15_000);
    expect(answeredAt - flowEndedAt).toBeLessThan(5_000);
  });
});
