import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  ApiKeyManagement,
  type ApiKeyRecord,
  ApiKeyService,
  hashApiKey,
  migrationProvider,
  newId,
  OPERATOR,
  Store,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  FakeClock,
  hex,
  holder,
  masterKey,
  type OpenedDatabase,
  T0,
  useContractStore,
} from "./storage-fixtures.js";

async function migrationNames(): Promise<string[]> {
  return Object.keys(await migrationProvider.getMigrations()).sort();
}

/** Storage on one engine: migrations, apps, API keys and the API key service. */
export function appsContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    const env = useContractStore(open);
    const { clock, newApp } = env;

    describe("migrations", () => {
      it("applies every migration when a new env.database is opened, on the requested engine", async () => {
        const names = await migrationNames();
        expect(names.length).toBeGreaterThan(0);
        expect(env.store.appliedOnOpen).toEqual(names);
        expect(env.store.engine).toBe(engine);
        expect(await env.store.apps.list()).toBeInstanceOf(Array);
      });

      it("re-opening and migrating again is a no-op that keeps the data", async () => {
        const appId = await newApp(env.store, "survives reopen");
        const again = await Store.open(env.database.url);
        try {
          expect(again.appliedOnOpen).toEqual([]);
          expect(await again.migrate()).toEqual([]);
          expect(await env.store.migrate()).toEqual([]);
          expect((await again.apps.get(appId))?.name).toBe("survives reopen");
        } finally {
          await again.close();
        }
      });

      it("creates the tables only when migrating", async () => {
        const opened = await open();
        const bare = await Store.open(opened.url, { migrate: false });
        try {
          expect(bare.appliedOnOpen).toEqual([]);
          await expect(bare.apps.count()).rejects.toThrow();
          expect(await bare.migrate()).toEqual(await migrationNames());
          expect(await bare.apps.count()).toBe(0);
        } finally {
          await bare.close();
          await opened.cleanup();
        }
      });
    });

    describe("apps", () => {
      it("inserts, gets, lists in creation order and counts", async () => {
        const before = await env.store.apps.count();
        const later = { id: newId("app"), name: "Later", createdAt: T0 + 2_000, allowedOrigins: [] };
        const earlier = { id: newId("app"), name: "Earlier", createdAt: T0 + 1_000, allowedOrigins: [] };
        await env.store.apps.insert(later);
        await env.store.apps.insert(earlier);

        expect(await env.store.apps.count()).toBe(before + 2);
        // Read back with the settings an app starts with: enabled, user tokens required (F6).
        const fresh = { disabledAt: null, userGrantsNeedUserToken: true };
        expect(await env.store.apps.get(later.id)).toEqual({ ...later, ...fresh });
        expect(await env.store.apps.get(earlier.id)).toEqual({ ...earlier, ...fresh });
        expect(await env.store.apps.get(newId("app"))).toBeNull();

        const listed = (await env.store.apps.list()).filter(
          (app) => app.id === later.id || app.id === earlier.id,
        );
        expect(listed).toEqual([
          { ...earlier, ...fresh },
          { ...later, ...fresh },
        ]);
        expect(await env.store.apps.list()).toHaveLength(before + 2);
      });

      it("keeps an app's allowed origins and finds an app by id or by name", async () => {
        const app = { id: newId("app"), name: `web-${hex(3)}`, createdAt: T0 };
        await env.store.apps.insert(app);
        await env.store.apps.setAllowedOrigins(app.id, ["https://app.example.com", "http://127.0.0.1:5180"]);
        const expected = {
          ...app,
          allowedOrigins: ["https://app.example.com", "http://127.0.0.1:5180"],
          disabledAt: null,
          userGrantsNeedUserToken: true,
        };
        expect(await env.store.apps.get(app.id)).toEqual(expected);
        expect(await env.store.apps.find(app.name)).toEqual(expected);
        expect(await env.store.apps.find(app.id)).toEqual(expected);
        expect(await env.store.apps.find("no-such-app")).toBeNull();
      });

      it("F6: keeps whether an app's user-bound grants need their user's token, strict by default", async () => {
        const appId = await newApp();
        const other = await newApp();
        expect(await env.store.apps.userGrantsNeedUserToken(appId)).toBe(true);
        expect(await env.store.apps.setUserGrantsNeedUserToken(appId, false)).toBe(true);
        expect(await env.store.apps.setUserGrantsNeedUserToken(appId, false)).toBe(false);
        expect(await env.store.apps.userGrantsNeedUserToken(appId)).toBe(false);
        expect(await env.store.apps.userGrantsNeedUserToken(other)).toBe(true);
        expect(await env.store.apps.setUserGrantsNeedUserToken(appId, true)).toBe(true);
        expect(await env.store.apps.userGrantsNeedUserToken(appId)).toBe(true);
        const missing = newId("app");
        expect(await env.store.apps.userGrantsNeedUserToken(missing)).toBe(true);
        expect(await env.store.apps.setUserGrantsNeedUserToken(missing, false)).toBe(false);
      });

      it("rejects a duplicate app id", async () => {
        const app = { id: newId("app"), name: "once", createdAt: T0 };
        await env.store.apps.insert(app);
        await expect(env.store.apps.insert({ ...app, name: "twice" })).rejects.toThrow();
        expect((await env.store.apps.get(app.id))?.name).toBe("once");
      });
    });

    describe("api keys", () => {
      function keyRecord(appId: string, createdAt: number, name: string | null = null): ApiKeyRecord {
        return {
          id: newId("key"),
          appId,
          name,
          prefix: `${API_KEY_PREFIX}${hex(4)}`,
          createdAt,
          lastUsedAt: null,
          revokedAt: null,
          scopes: ["use"],
          createdBy: null,
          expiresAt: null,
          disabledAt: null,
        };
      }

      it("inserts, finds by hash, gets and lists by app", async () => {
        const appA = await newApp();
        const appB = await newApp();
        const a2 = keyRecord(appA, T0 + 20, "second");
        const a1 = keyRecord(appA, T0 + 10, "first");
        const b1 = keyRecord(appB, T0 + 15);
        const hashes = new Map([a1, a2, b1].map((key) => [key.id, hashApiKey(`${key.id}-${hex(8)}`)]));
        for (const key of [a2, a1, b1])
          await env.store.apiKeys.insert({ ...key, hash: hashes.get(key.id) ?? "" });

        expect(await env.store.apiKeys.findByHash(hashes.get(a1.id) ?? "")).toEqual(a1);
        expect(await env.store.apiKeys.findByHash(hashes.get(b1.id) ?? "")).toEqual(b1);
        expect(await env.store.apiKeys.findByHash(hashApiKey("never issued"))).toBeNull();
        expect(await env.store.apiKeys.get(a2.id)).toEqual(a2);
        expect(await env.store.apiKeys.get(newId("key"))).toBeNull();

        expect(await env.store.apiKeys.list(appA)).toEqual([a1, a2]);
        expect(await env.store.apiKeys.list(appB)).toEqual([b1]);
        expect(await env.store.apiKeys.list(await newApp())).toEqual([]);
        const all = await env.store.apiKeys.list();
        expect(all.filter((key) => [a1.id, a2.id, b1.id].includes(key.id))).toEqual([a1, b1, a2]);
      });

      it("rejects a second key with the same hash", async () => {
        const appId = await newApp();
        const hash = hashApiKey(`dup-${hex(8)}`);
        await env.store.apiKeys.insert({ ...keyRecord(appId, T0), hash });
        await expect(env.store.apiKeys.insert({ ...keyRecord(appId, T0), hash })).rejects.toThrow();
      });

      it("revokes once: the second revoke, and revoking an unknown key, answer false", async () => {
        const appId = await newApp();
        const key = keyRecord(appId, T0);
        await env.store.apiKeys.insert({ ...key, hash: hashApiKey(hex(16)) });

        expect(await env.store.apiKeys.revoke(key.id, T0 + 500)).toBe(true);
        expect((await env.store.apiKeys.get(key.id))?.revokedAt).toBe(T0 + 500);
        expect(await env.store.apiKeys.revoke(key.id, T0 + 900)).toBe(false);
        expect((await env.store.apiKeys.get(key.id))?.revokedAt).toBe(T0 + 500);
        expect(await env.store.apiKeys.revoke(newId("key"), T0)).toBe(false);
      });

      it("touch records use at most once per resolution", async () => {
        const appId = await newApp();
        const key = keyRecord(appId, T0);
        const other = keyRecord(appId, T0);
        await env.store.apiKeys.insert({ ...key, hash: hashApiKey(hex(16)) });
        await env.store.apiKeys.insert({ ...other, hash: hashApiKey(hex(16)) });
        const lastUsed = async () => (await env.store.apiKeys.get(key.id))?.lastUsedAt;

        await env.store.apiKeys.touch(key.id, T0 + 1_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await env.store.apiKeys.touch(key.id, T0 + 30_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await env.store.apiKeys.touch(key.id, T0 + 61_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await env.store.apiKeys.touch(key.id, T0 + 61_001, 60_000);
        expect(await lastUsed()).toBe(T0 + 61_001);
        // Only the touched key changed.
        expect((await env.store.apiKeys.get(other.id))?.lastUsedAt).toBeNull();
      });
    });

    describe("ApiKeyService", () => {
      it("createApp stores the app and returns a gv_live_ key that authenticates as that app", async () => {
        const service = new ApiKeyService(env.store, clock);
        const { app, apiKey } = await service.createApp("Billing bot");
        expect(await env.store.apps.get(app.id)).toEqual(app);
        expect(apiKey.plaintext.startsWith(API_KEY_PREFIX)).toBe(true);
        expect(apiKey.plaintext.length).toBeGreaterThanOrEqual(API_KEY_PREFIX.length + 40);
        expect(apiKey.plaintext.startsWith(apiKey.key.prefix)).toBe(true);
        expect(apiKey.key.prefix.length).toBeLessThan(apiKey.plaintext.length - 32);
        expect(await env.store.apiKeys.list(app.id)).toEqual([apiKey.key]);
        expect(await env.store.apiKeys.findByHash(hashApiKey(apiKey.plaintext))).toEqual(apiKey.key);

        expect(await service.authenticate(apiKey.plaintext)).toEqual({
          ok: true,
          appId: app.id,
          keyId: apiKey.key.id,
          keyPrefix: apiKey.key.prefix,
          scopes: ["admin", "connect", "use", "proxy", "read"],
          expiresAt: null,
        });
      });

      it("answers invalid_api_key for keys it never issued", async () => {
        const service = new ApiKeyService(env.store, clock);
        const { apiKey } = await service.createApp("victim");
        const plaintext = apiKey.plaintext;
        const last = plaintext.at(-1) === "A" ? "B" : "A";
        const wrong = [
          `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`,
          `${plaintext.slice(0, -1)}${last}`,
          plaintext.slice(0, -1),
          `${plaintext}x`,
          apiKey.key.prefix,
          plaintext.slice(API_KEY_PREFIX.length),
          hashApiKey(plaintext),
          "",
        ];
        for (const presented of wrong) {
          expect(await service.authenticate(presented), presented).toEqual({
            ok: false,
            reason: "invalid_api_key",
          });
        }
      });

      it("answers api_key_revoked for a revoked key, while the app's other keys still work", async () => {
        const service = new ApiKeyService(env.store, clock);
        const { app, apiKey } = await service.createApp("revoker");
        const spare = await service.createKey(app.id, "spare");
        expect(await service.revoke(apiKey.key.id)).toBe(true);
        expect(await service.revoke(apiKey.key.id)).toBe(false);
        expect(await service.authenticate(apiKey.plaintext)).toEqual({
          ok: false,
          reason: "api_key_revoked",
        });
        expect(await service.authenticate(spare.plaintext)).toMatchObject({ ok: true, appId: app.id });
      });

      it("authenticates a key of app B as app B, never as app A", async () => {
        const service = new ApiKeyService(env.store, clock);
        const a = await service.createApp("A");
        const b = await service.createApp("B");
        const resultA = await service.authenticate(a.apiKey.plaintext);
        const resultB = await service.authenticate(b.apiKey.plaintext);
        expect(resultA).toMatchObject({ ok: true, appId: a.app.id, keyId: a.apiKey.key.id });
        expect(resultB).toMatchObject({ ok: true, appId: b.app.id, keyId: b.apiKey.key.id });
        expect(a.app.id).not.toBe(b.app.id);
        // B cannot revoke A's key, and A's key keeps working.
        const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
        await expect(management.revoke(OPERATOR, b.app.id, a.apiKey.key.id)).rejects.toMatchObject({
          code: "not_found",
        });
        expect(await service.authenticate(a.apiKey.plaintext)).toMatchObject({ ok: true, appId: a.app.id });
        expect(await management.revoke(OPERATOR, a.app.id, a.apiKey.key.id)).toBe("revoked");
        expect(await service.authenticate(a.apiKey.plaintext)).toEqual({
          ok: false,
          reason: "api_key_revoked",
        });
        expect(await service.authenticate(b.apiKey.plaintext)).toMatchObject({ ok: true, appId: b.app.id });
      });

      it("records the last use when authenticating, at most once a minute", async () => {
        const ownClock = new FakeClock(T0);
        const service = new ApiKeyService(env.store, ownClock);
        const { apiKey } = await service.createApp("toucher");
        const lastUsed = async () => (await env.store.apiKeys.get(apiKey.key.id))?.lastUsedAt;
        expect(await lastUsed()).toBeNull();

        ownClock.advance(5_000);
        await service.authenticate(apiKey.plaintext);
        expect(await lastUsed()).toBe(T0 + 5_000);
        ownClock.advance(30_000);
        await service.authenticate(apiKey.plaintext);
        expect(await lastUsed()).toBe(T0 + 5_000);
        ownClock.advance(31_000);
        await service.authenticate(apiKey.plaintext);
        expect(await lastUsed()).toBe(T0 + 66_000);
      });
    });

    describe("ApiKeyManagement", () => {
      async function adminKeyOf(management: ApiKeyManagement, name: string) {
        const { app, apiKey } = await management.createApp(name);
        const auth = await new ApiKeyService(env.store, clock).authenticate(apiKey.plaintext);
        if (!auth.ok) throw new Error("the first key must authenticate");
        return { app, apiKey, actor: { kind: "api_key" as const, ...auth } };
      }

      async function keyEvents(appId: string) {
        const rows = await env.store.audit.list(appId, {}, 50);
        return rows
          .filter((row) => row.type.startsWith("api_key."))
          .map((row) => ({
            type: row.type,
            by: row.api_key_prefix,
            details: row.details === null ? null : JSON.parse(row.details),
          }))
          .reverse();
      }

      it("F4: a key without the admin scope can neither mint nor revoke keys", async () => {
        const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
        const { app, apiKey, actor } = await adminKeyOf(management, "scoped");
        const plain = await management.create(actor, app.id, { name: "worker" });
        expect(plain.key.scopes).toEqual(["connect", "use", "proxy", "read"]);
        const plainAuth = await new ApiKeyService(env.store, clock).authenticate(plain.plaintext);
        if (!plainAuth.ok) throw new Error("the new key must authenticate");
        const worker = { kind: "api_key" as const, ...plainAuth };
        await expect(management.create(worker, app.id, { name: "backdoor" })).rejects.toMatchObject({
          code: "insufficient_scope",
        });
        await expect(management.revoke(worker, app.id, apiKey.key.id)).rejects.toMatchObject({
          code: "insufficient_scope",
        });
        expect((await env.store.apiKeys.list(app.id)).map((key) => key.id).sort()).toEqual(
          [apiKey.key.id, plain.key.id].sort(),
        );
        expect((await env.store.apiKeys.get(apiKey.key.id))?.revokedAt).toBeNull();
      });

      it("F4: a key cannot grant scopes it lacks", async () => {
        const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
        const { app, actor } = await adminKeyOf(management, "granter");
        const proxyOnly = await management.create(actor, app.id, { name: "agent", scopes: ["proxy"] });
        expect(proxyOnly.key.scopes).toEqual(["proxy"]);
        const narrowAdmin = await management.create(actor, app.id, { name: "admin", scopes: ["admin"] });
        const narrowAuth = await new ApiKeyService(env.store, clock).authenticate(narrowAdmin.plaintext);
        if (!narrowAuth.ok) throw new Error("the new key must authenticate");
        await expect(
          management.create({ kind: "api_key", ...narrowAuth }, app.id, { name: "x", scopes: ["use"] }),
        ).rejects.toMatchObject({ code: "insufficient_scope" });
      });

      it("F4: key creation and revocation are audited with the acting key", async () => {
        const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
        const { app, apiKey, actor } = await adminKeyOf(management, "audited");
        const second = await management.create(actor, app.id, { name: "second" });
        expect(await management.revoke(actor, app.id, second.key.id)).toBe("revoked");
        expect(await management.revoke(actor, app.id, second.key.id)).toBe("already_revoked");
        expect(await keyEvents(app.id)).toEqual([
          {
            type: "api_key.created",
            by: null,
            details: {
              api_key_id: apiKey.key.id,
              prefix: apiKey.key.prefix,
              scopes: ["admin", "connect", "use", "proxy", "read"],
              by: "operator",
            },
          },
          {
            type: "api_key.created",
            by: apiKey.key.prefix,
            details: {
              api_key_id: second.key.id,
              prefix: second.key.prefix,
              scopes: ["connect", "use", "proxy", "read"],
              by: "api_key",
            },
          },
          {
            type: "api_key.revoked",
            by: apiKey.key.prefix,
            details: { api_key_id: second.key.id, prefix: second.key.prefix, by: "api_key" },
          },
        ]);
        const rows = JSON.stringify(await env.store.audit.list(app.id, {}, 50));
        expect(rows).not.toContain(second.plaintext);
        expect(rows).not.toContain(apiKey.plaintext);
      });

      it("F4: an app's last active key cannot be revoked by a key, even by two revokes at once", async () => {
        const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
        const { app, apiKey, actor } = await adminKeyOf(management, "last");
        await expect(management.revoke(actor, app.id, apiKey.key.id)).rejects.toMatchObject({
          code: "last_api_key",
        });
        const second = await management.create(actor, app.id, { name: "second", scopes: ["admin"] });
        const secondAuth = await new ApiKeyService(env.store, clock).authenticate(second.plaintext);
        if (!secondAuth.ok) throw new Error("the new key must authenticate");
        // Each key revokes the other at the same moment: one of them must stay.
        const outcomes = await Promise.allSettled([
          management.revoke(actor, app.id, second.key.id),
          management.revoke({ kind: "api_key", ...secondAuth }, app.id, apiKey.key.id),
        ]);
        expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
        expect(await env.store.apiKeys.countActive(app.id)).toBe(1);
        // The operator may still revoke the last one (e.g. a leaked key), from the CLI.
        const [remaining] = (await env.store.apiKeys.list(app.id)).filter((key) => key.revokedAt === null);
        expect(await management.revoke(OPERATOR, app.id, remaining?.id ?? "")).toBe("revoked");
        expect(await env.store.apiKeys.countActive(app.id)).toBe(0);
      });
    });
  });
}
