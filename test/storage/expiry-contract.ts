import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { ConnectSessionRecord, OAuthStateRecord } from "../../packages/server/src/testing.js";
import { type Engine, hex, type OpenedDatabase, T0, useContractStore } from "./storage-fixtures.js";

/** The deletes the expiry sweeper (F12) runs, on one engine. */
export function expiryContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`expiry sweeps on ${engine}`, () => {
    const env = useContractStore(open);

    const session = (
      appId: string,
      expiresAt: number,
      kind: "connect" | "auth" = "connect",
    ): ConnectSessionRecord => ({
      id: `cs_${hex(12)}`,
      appId,
      confirmationCode: "ABCD-EFGH",
      status: "pending",
      allowedProviders: kind === "auth" ? [] : ["octo"],
      grantPolicy: null,
      results: null,
      userInfo: null,
      error: null,
      createdAt: expiresAt - 600_000,
      expiresAt,
      updatedAt: expiresAt - 600_000,
      kind,
      allowedOrigin: null,
      returnUrl: null,
      requiredScopes: null,
      metadata: null,
      userSubject: null,
    });
    const insertSession = async (record: ConnectSessionRecord) => {
      await env.store.connectSessions.insert(record, hex(32));
      return record;
    };
    const state = (sessionId: string, expiresAt: number): OAuthStateRecord => ({
      stateHash: hex(32),
      sessionId,
      providerId: "octo",
      codeVerifier: "verifier",
      nonce: null,
      display: null,
      browserBindingHash: null,
      createdAt: expiresAt - 600_000,
      expiresAt,
    });
    /** Completes a sign-in session with a sealed ID token (what the callback stores). */
    const signedIn = async (appId: string, expiresAt: number) => {
      const record = await insertSession(session(appId, expiresAt, "auth"));
      const sealed = `sealed-${randomBytes(8).toString("hex")}`;
      const finished = await env.store.connectSessions.finish(
        record.id,
        { status: "completed", userInfo: { sub: "alice" }, sealedUserToken: sealed },
        expiresAt - 1000,
      );
      expect(finished).toBe(true);
      return { record, sealed };
    };

    it("F12: deleteExpired removes the OAuth states expired at or before now, and only those", async () => {
      const appId = await env.newApp();
      const owner = await insertSession(session(appId, T0 + 3_600_000));
      const expired = state(owner.id, T0 - 1);
      const atNow = state(owner.id, T0);
      const live = state(owner.id, T0 + 1);
      for (const one of [expired, atNow, live]) await env.store.oauthStates.insert(one);

      expect(await env.store.oauthStates.deleteExpired(T0)).toBeGreaterThanOrEqual(2);
      expect(await env.store.oauthStates.consume(expired.stateHash, "octo")).toBeNull();
      expect(await env.store.oauthStates.consume(atNow.stateHash, "octo")).toBeNull();
      expect(await env.store.oauthStates.consume(live.stateHash, "octo")).toMatchObject({
        stateHash: live.stateHash,
      });
    });

    it("F12: deleteExpiredBefore deletes sessions expired by the cutoff, finished or not, with their states", async () => {
      const appId = await env.newApp();
      const cutoff = T0 - 86_400_000;
      const old = await insertSession(session(appId, cutoff - 1));
      const oldDone = await signedIn(appId, cutoff);
      const recent = await insertSession(session(appId, cutoff + 1));
      const orphaned = state(old.id, T0 + 3_600_000);
      const kept = state(recent.id, T0 + 3_600_000);
      await env.store.oauthStates.insert(orphaned);
      await env.store.oauthStates.insert(kept);

      expect(await env.store.connectSessions.deleteExpiredBefore(cutoff)).toBeGreaterThanOrEqual(2);
      expect(await env.store.connectSessions.getById(old.id)).toBeNull();
      expect(await env.store.connectSessions.getById(oldDone.record.id)).toBeNull();
      expect(await env.store.connectSessions.getById(recent.id)).toMatchObject({ id: recent.id });
      expect(await env.store.oauthStates.consume(orphaned.stateHash, "octo")).toBeNull();
      expect(await env.store.oauthStates.consume(kept.stateHash, "octo")).toMatchObject({
        sessionId: recent.id,
      });
    });

    it("F12: dropExpiredUserTokens drops the sealed ID tokens of expired sessions only", async () => {
      const appId = await env.newApp();
      const expired = await signedIn(appId, T0);
      const live = await signedIn(appId, T0 + 1);

      expect(await env.store.connectSessions.dropExpiredUserTokens(T0)).toBeGreaterThanOrEqual(1);
      expect(await env.store.connectSessions.sealedUserToken(appId, expired.record.id)).toBeNull();
      expect(await env.store.connectSessions.sealedUserToken(appId, live.record.id)).toBe(live.sealed);
      // The session itself stays, completed, with its claims.
      expect(await env.store.connectSessions.get(appId, expired.record.id)).toMatchObject({
        status: "completed",
        userInfo: { sub: "alice" },
      });
    });

    it("F12: dropUserToken drops one session's sealed ID token, and only for its own app", async () => {
      const appId = await env.newApp();
      const otherApp = await env.newApp();
      const picked = await signedIn(appId, T0 + 600_000);

      await env.store.connectSessions.dropUserToken(otherApp, picked.record.id);
      expect(await env.store.connectSessions.sealedUserToken(appId, picked.record.id)).toBe(picked.sealed);
      await env.store.connectSessions.dropUserToken(appId, picked.record.id);
      expect(await env.store.connectSessions.sealedUserToken(appId, picked.record.id)).toBeNull();
    });
  });
}
