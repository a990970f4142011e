import { randomBytes } from "node:crypto";
import { getEventListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  AuditLog,
  ConfigEvents,
  ConnectSessionService,
  createLogger,
  Keyring,
  KeyringHolder,
  OAuthClient,
  type ProviderConfig,
  ProviderDirectory,
  SessionEvents,
  UserTokens,
} from "../../packages/server/src/testing.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/*
 * Bounded resources (issue 12, item 10): F12 (expired states, sessions and sealed ID tokens are
 * swept), F13 (session reads leave nothing behind on long-lived signals), F14 (socket timeouts,
 * a cap on held long-polls per session and per process).
 */

/** A provider the vault never has to reach: sessions are created, never completed, here. */
const PROVIDER: ProviderConfig = {
  id: "octo",
  type: "oauth2",
  displayName: "Octo",
  authorizationUrl: "https://octo.invalid/authorize",
  tokenUrl: "https://octo.invalid/token",
  userinfoUrl: "https://octo.invalid/user",
  accountIdentifierField: "login",
  apiBaseUrls: ["https://api.octo.invalid"],
  clientId: "client",
  clientSecret: "secret",
} as ProviderConfig;

const vaults: TestVault[] = [];
afterEach(async () => {
  await Promise.all(vaults.splice(0).map((vault) => vault.close()));
});

async function listeningVault(env: Record<string, string> = {}) {
  const vault = await startTestVault({ providers: [PROVIDER], settings: env });
  vaults.push(vault);
  await vault.app.listen({ host: "127.0.0.1", port: 0 });
  const baseUrl = `http://127.0.0.1:${(vault.app.server.address() as { port: number }).port}`;
  const { apiKey } = await vault.apiKeys.createApp("bounded");
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${apiKey.plaintext}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  return { vault, api, appId: apiKey.key.appId };
}

/** A long-poll's answer and how long it took. */
async function timedPoll(
  api: (m: string, p: string) => Promise<{ status: number; body: Record<string, unknown> }>,
  id: string,
  wait: number,
) {
  const started = Date.now();
  const answer = await api("GET", `/v1/connect/sessions/${id}?wait=${wait}`);
  return { ...answer, tookMs: Date.now() - started };
}

/** How many signals `AbortSignal.any` has tied to `signal` (Node keeps them in an internal set). */
function dependantsOf(signal: AbortSignal): number {
  const key = Object.getOwnPropertySymbols(signal).find(
    (symbol) => symbol.description === "kDependantSignals",
  );
  const set = key ? (signal as unknown as Record<symbol, Set<unknown> | undefined>)[key] : undefined;
  return set?.size ?? 0;
}

describe("F13: session reads leave nothing on long-lived signals", () => {
  it("F13: thousands of reads and waits add no listener or dependant signal to the signals they watch", async () => {
    // The measurement works: one AbortSignal.any leaves one dependant on its source.
    const probe = new AbortController().signal;
    AbortSignal.any([probe]);
    expect(dependantsOf(probe)).toBe(1);

    const vault = await startTestVault({ providers: [PROVIDER] });
    vaults.push(vault);
    const { store, clock } = vault;
    const events = new SessionEvents(store.pubsub);
    await events.start();
    const keys = new KeyringHolder(new Keyring([{ id: "test", key: randomBytes(32) }]), { kind: "env" });
    const directory = new ProviderDirectory({
      store,
      keys,
      events: new ConfigEvents(store.pubsub),
      logger: createLogger("silent"),
      now: () => clock.now(),
      builtIns: [PROVIDER],
    });
    const sessions = new ConnectSessionService(
      store,
      directory,
      events,
      clock,
      new AuditLog(store, clock, keys),
      new UserTokens({
        identities: directory,
        oauth: new OAuthClient(fetch, () => clock.now()),
        clock,
      }),
    );
    const { apiKey } = await vault.apiKeys.createApp("reads");
    const appId = apiKey.key.appId;
    const { session } = await sessions.create(appId, {});
    // A long-lived signal, as the server's shutdown signal is: every read watches it.
    const longLived = new AbortController().signal;
    for (let i = 0; i < 2000; i++) {
      await sessions.wait(appId, `cs_${randomBytes(12).toString("hex")}`, 0, longLived);
      await sessions.wait(appId, session.id, 0, longLived);
    }
    // Held waits that run out.
    await Promise.all(Array.from({ length: 4 }, () => sessions.wait(appId, session.id, 30, longLived)));
    // A held wait ended by the signal it watches (the client went away).
    const gone = new AbortController();
    const held = sessions.wait(appId, session.id, 10_000, gone.signal);
    await sleep(50);
    expect(getEventListeners(gone.signal, "abort")).toHaveLength(1);
    gone.abort();
    await expect(held).resolves.toMatchObject({ id: session.id, status: "pending" });

    expect(dependantsOf(longLived)).toBe(0);
    expect(getEventListeners(longLived, "abort")).toHaveLength(0);
    expect(getEventListeners(gone.signal, "abort")).toHaveLength(0);
    sessions.shutdown();
  });
});

describe("F14: bounded long-polls and socket timeouts", () => {
  it("F14: sets request, connection and headers timeouts longer than the longest long-poll", async () => {
    const { vault } = await listeningVault();
    const server = vault.app.server;
    expect(server.requestTimeout).toBe(60_000);
    expect(server.timeout).toBe(60_000);
    expect(server.headersTimeout).toBe(20_000);
    expect(server.keepAliveTimeout).toBe(72_000);

    const tuned = await listeningVault({ GRANTVAULT_REQUEST_TIMEOUT_SECONDS: "90" });
    expect(tuned.vault.app.server.requestTimeout).toBe(90_000);
  });

  it("F14: answers a long-poll over the per-session cap (4) at once, with the current status", async () => {
    const { api } = await listeningVault();
    const created = await api("POST", "/v1/connect/sessions", { allowed_providers: ["octo"] });
    const id = created.body.session_id as string;
    const held = Array.from({ length: 4 }, () => timedPoll(api, id, 2));
    await sleep(300);
    const over = await timedPoll(api, id, 2);
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ session_id: id, status: "pending" });
    expect(over.tookMs).toBeLessThan(1000);
    for (const poll of await Promise.all(held)) {
      expect(poll.status).toBe(200);
      expect(poll.tookMs).toBeGreaterThanOrEqual(1500);
    }
    // The cap counts polls being held, not polls ever made: the session can be held again.
    expect((await timedPoll(api, id, 1)).tookMs).toBeGreaterThanOrEqual(800);
  });

  it("F14: answers long-polls over GRANTVAULT_MAX_HELD_POLLS at once, whatever the session", async () => {
    const { api } = await listeningVault({ GRANTVAULT_MAX_HELD_POLLS: "3" });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      ids.push((await api("POST", "/v1/connect/sessions", {})).body.session_id as string);
    }
    const held = ids.slice(0, 3).map((id) => timedPoll(api, id, 2));
    await sleep(300);
    const over = await timedPoll(api, ids[3] as string, 2);
    expect(over.body).toMatchObject({ session_id: ids[3], status: "pending" });
    expect(over.tookMs).toBeLessThan(1000);
    for (const poll of await Promise.all(held)) expect(poll.tookMs).toBeGreaterThanOrEqual(1500);
  });
});

describe("F12: the sweeper started with the vault", () => {
  it("F12: deletes expired OAuth states and, after the retention, expired sessions", async () => {
    const { vault, api, appId } = await listeningVault({
      GRANTVAULT_SWEEP_INTERVAL_SECONDS: "1",
      GRANTVAULT_SESSION_RETENTION_SECONDS: "3600",
    });
    const created = await api("POST", "/v1/connect/sessions", {});
    const id = created.body.session_id as string;
    const now = vault.clock.now();
    const state = (expiresAt: number) => ({
      stateHash: randomBytes(32).toString("hex"),
      sessionId: id,
      providerId: "octo",
      codeVerifier: null,
      nonce: null,
      display: null,
      browserBindingHash: null,
      createdAt: now,
      expiresAt,
    });
    const stale = state(now + 60_000);
    const fresh = state(now + 3 * 60 * 60_000); // outlives the session
    await vault.store.oauthStates.insert(stale);
    await vault.store.oauthStates.insert(fresh);

    vault.clock.advance(15 * 60_000); // the session (10 min) and the stale state expired
    await sleep(1_600);
    expect(await vault.store.oauthStates.consume(stale.stateHash, "octo")).toBeNull();
    expect(await vault.store.connectSessions.get(appId, id)).not.toBeNull();
    expect((await api("GET", `/v1/connect/sessions/${id}`)).body).toMatchObject({ status: "expired" });

    vault.clock.advance(60 * 60_000); // past the retention
    await sleep(1_600);
    expect(await vault.store.connectSessions.get(appId, id)).toBeNull();
    // The fresh state went with its session.
    expect(await vault.store.oauthStates.consume(fresh.stateHash, "octo")).toBeNull();
    expect((await api("GET", `/v1/connect/sessions/${id}`)).status).toBe(404);
  });
});
