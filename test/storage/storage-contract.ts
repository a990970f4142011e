import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { API_KEY_PREFIX, ApiKeyService, hashApiKey } from "../../packages/server/src/apps/api-keys.js";
import type { Clock } from "../../packages/server/src/clock.js";
import { DecryptionError, Keyring, type MasterKey } from "../../packages/server/src/crypto/keyring.js";
import { KeyringHolder } from "../../packages/server/src/crypto/keyring-holder.js";
import { KEY_FILE_NAME, loadKeyring, writeKeyFile } from "../../packages/server/src/crypto/master-keys.js";
import { countSealedByKey, reencryptAll } from "../../packages/server/src/crypto/reencrypt.js";
import { CredentialStore, type TokenSet } from "../../packages/server/src/grants/credential-store.js";
import { newId } from "../../packages/server/src/ids.js";
import type { ApiKeyRecord } from "../../packages/server/src/storage/api-keys-repository.js";
import type { GrantRecord } from "../../packages/server/src/storage/grants-repository.js";
import { migrationProvider } from "../../packages/server/src/storage/migrations/index.js";
import { Store } from "../../packages/server/src/storage/store.js";

export interface OpenedDatabase {
  /** What `Store.open` takes: a SQLite file path or a `postgres://` URL of an empty database. */
  url: string;
  /** Removes the database (and its files). */
  cleanup(): Promise<void>;
}

/** A clock the test moves by hand. */
class FakeClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

interface JsonRow {
  row: string;
}

const T0 = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z: beyond 2^32, as real epoch ms are
const ENV_SOURCE = { kind: "env" } as const;

function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

function masterKey(id: string): MasterKey {
  return { id, key: randomBytes(32) };
}

function holder(...keys: MasterKey[]): KeyringHolder {
  return new KeyringHolder(new Keyring(keys), ENV_SOURCE);
}

function grantRecord(appId: string, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: newId("grant"),
    appId,
    providerId: "github",
    accountIdentifier: `user-${hex(4)}@example.com`,
    scopes: ["repo", "read:user"],
    status: "active",
    expiresAt: null,
    lastUsedAt: null,
    createdAt: T0,
    updatedAt: T0,
    grantPolicy: null,
    statusReason: null,
    userSubject: null,
    ...overrides,
  };
}

function tokensFor(label: string): TokenSet {
  return {
    accessToken: `access-${label}-${hex(8)}`,
    refreshToken: `refresh-${label}-${hex(8)}`,
    tokenType: "Bearer",
    expiresAt: T0 + 3_600_000,
  };
}

/** Flips one character in the middle of the ciphertext part of a sealed value. */
function tamper(sealed: string): string {
  const lastColon = sealed.lastIndexOf(":");
  const index = lastColon + 1 + Math.floor((sealed.length - lastColon - 1) / 2);
  const replacement = sealed[index] === "A" ? "B" : "A";
  return sealed.slice(0, index) + replacement + sealed.slice(index + 1);
}

/** Runs `fn` with `limit` calls at most in flight, keeping results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function migrationNames(): Promise<string[]> {
  return Object.keys(await migrationProvider.getMigrations()).sort();
}

export function storageContract(engine: "sqlite" | "postgres", open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    let database: OpenedDatabase;
    let store: Store;
    const clock = new FakeClock(T0);

    beforeAll(async () => {
      database = await open();
      store = await Store.open(database.url);
    });

    afterAll(async () => {
      await store?.close();
      await database?.cleanup();
    });

    /** A store on a database of its own, for tests that count or scan everything stored. */
    async function withFreshStore<T>(fn: (fresh: Store, url: string) => Promise<T>): Promise<T> {
      const opened = await open();
      const fresh = await Store.open(opened.url);
      try {
        return await fn(fresh, opened.url);
      } finally {
        await fresh.close();
        await opened.cleanup();
      }
    }

    async function newApp(target: Store = store, name = "app"): Promise<string> {
      const id = newId("app");
      await target.apps.insert({ id, name, createdAt: clock.now() });
      return id;
    }

    /** `count` grants of a new app, each with a saved token set; returns what was saved by grant id. */
    async function seedCredentials(
      target: Store,
      credentials: CredentialStore,
      count: number,
    ): Promise<Map<string, TokenSet>> {
      const appId = await newApp(target, "rotation");
      const grants = Array.from({ length: count }, (_, index) =>
        grantRecord(appId, { accountIdentifier: `account-${index}` }),
      );
      await mapLimit(grants, 8, (grant) => target.grants.insert(grant));
      const saved = new Map<string, TokenSet>();
      await mapLimit(grants, 8, async (grant) => {
        const tokens = tokensFor(grant.id);
        saved.set(grant.id, tokens);
        await credentials.save(grant.id, tokens);
      });
      return saved;
    }

    async function expectAllReadable(
      credentials: CredentialStore,
      expected: ReadonlyMap<string, TokenSet>,
    ): Promise<void> {
      const loaded = await mapLimit([...expected.keys()], 8, (id) => credentials.load(id));
      expect(loaded).toEqual([...expected.values()]);
    }

    describe("migrations", () => {
      it("applies every migration when a new database is opened, on the requested engine", async () => {
        const names = await migrationNames();
        expect(names.length).toBeGreaterThan(0);
        expect(store.appliedOnOpen).toEqual(names);
        expect(store.engine).toBe(engine);
        expect(await store.apps.list()).toBeInstanceOf(Array);
      });

      it("re-opening and migrating again is a no-op that keeps the data", async () => {
        const appId = await newApp(store, "survives reopen");
        const again = await Store.open(database.url);
        try {
          expect(again.appliedOnOpen).toEqual([]);
          expect(await again.migrate()).toEqual([]);
          expect(await store.migrate()).toEqual([]);
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
        const before = await store.apps.count();
        const later = { id: newId("app"), name: "Later", createdAt: T0 + 2_000, allowedOrigins: [] };
        const earlier = { id: newId("app"), name: "Earlier", createdAt: T0 + 1_000, allowedOrigins: [] };
        await store.apps.insert(later);
        await store.apps.insert(earlier);

        expect(await store.apps.count()).toBe(before + 2);
        expect(await store.apps.get(later.id)).toEqual(later);
        expect(await store.apps.get(earlier.id)).toEqual(earlier);
        expect(await store.apps.get(newId("app"))).toBeNull();

        const listed = (await store.apps.list()).filter(
          (app) => app.id === later.id || app.id === earlier.id,
        );
        expect(listed).toEqual([earlier, later]);
        expect(await store.apps.list()).toHaveLength(before + 2);
      });

      it("keeps an app's allowed origins and finds an app by id or by name", async () => {
        const app = { id: newId("app"), name: `web-${hex(3)}`, createdAt: T0 };
        await store.apps.insert(app);
        await store.apps.setAllowedOrigins(app.id, ["https://app.example.com", "http://127.0.0.1:5180"]);
        const expected = { ...app, allowedOrigins: ["https://app.example.com", "http://127.0.0.1:5180"] };
        expect(await store.apps.get(app.id)).toEqual(expected);
        expect(await store.apps.find(app.name)).toEqual(expected);
        expect(await store.apps.find(app.id)).toEqual(expected);
        expect(await store.apps.find("no-such-app")).toBeNull();
      });

      it("rejects a duplicate app id", async () => {
        const app = { id: newId("app"), name: "once", createdAt: T0 };
        await store.apps.insert(app);
        await expect(store.apps.insert({ ...app, name: "twice" })).rejects.toThrow();
        expect((await store.apps.get(app.id))?.name).toBe("once");
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
          await store.apiKeys.insert({ ...key, hash: hashes.get(key.id) ?? "" });

        expect(await store.apiKeys.findByHash(hashes.get(a1.id) ?? "")).toEqual(a1);
        expect(await store.apiKeys.findByHash(hashes.get(b1.id) ?? "")).toEqual(b1);
        expect(await store.apiKeys.findByHash(hashApiKey("never issued"))).toBeNull();
        expect(await store.apiKeys.get(a2.id)).toEqual(a2);
        expect(await store.apiKeys.get(newId("key"))).toBeNull();

        expect(await store.apiKeys.list(appA)).toEqual([a1, a2]);
        expect(await store.apiKeys.list(appB)).toEqual([b1]);
        expect(await store.apiKeys.list(await newApp())).toEqual([]);
        const all = await store.apiKeys.list();
        expect(all.filter((key) => [a1.id, a2.id, b1.id].includes(key.id))).toEqual([a1, b1, a2]);
      });

      it("rejects a second key with the same hash", async () => {
        const appId = await newApp();
        const hash = hashApiKey(`dup-${hex(8)}`);
        await store.apiKeys.insert({ ...keyRecord(appId, T0), hash });
        await expect(store.apiKeys.insert({ ...keyRecord(appId, T0), hash })).rejects.toThrow();
      });

      it("revokes once: the second revoke, and revoking an unknown key, answer false", async () => {
        const appId = await newApp();
        const key = keyRecord(appId, T0);
        await store.apiKeys.insert({ ...key, hash: hashApiKey(hex(16)) });

        expect(await store.apiKeys.revoke(key.id, T0 + 500)).toBe(true);
        expect((await store.apiKeys.get(key.id))?.revokedAt).toBe(T0 + 500);
        expect(await store.apiKeys.revoke(key.id, T0 + 900)).toBe(false);
        expect((await store.apiKeys.get(key.id))?.revokedAt).toBe(T0 + 500);
        expect(await store.apiKeys.revoke(newId("key"), T0)).toBe(false);
      });

      it("touch records use at most once per resolution", async () => {
        const appId = await newApp();
        const key = keyRecord(appId, T0);
        const other = keyRecord(appId, T0);
        await store.apiKeys.insert({ ...key, hash: hashApiKey(hex(16)) });
        await store.apiKeys.insert({ ...other, hash: hashApiKey(hex(16)) });
        const lastUsed = async () => (await store.apiKeys.get(key.id))?.lastUsedAt;

        await store.apiKeys.touch(key.id, T0 + 1_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await store.apiKeys.touch(key.id, T0 + 30_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await store.apiKeys.touch(key.id, T0 + 61_000, 60_000);
        expect(await lastUsed()).toBe(T0 + 1_000);
        await store.apiKeys.touch(key.id, T0 + 61_001, 60_000);
        expect(await lastUsed()).toBe(T0 + 61_001);
        // Only the touched key changed.
        expect((await store.apiKeys.get(other.id))?.lastUsedAt).toBeNull();
      });
    });

    describe("ApiKeyService", () => {
      it("createApp stores the app and returns a gv_live_ key that authenticates as that app", async () => {
        const service = new ApiKeyService(store, clock);
        const { app, apiKey } = await service.createApp("Billing bot");
        expect(await store.apps.get(app.id)).toEqual(app);
        expect(apiKey.plaintext.startsWith(API_KEY_PREFIX)).toBe(true);
        expect(apiKey.plaintext.length).toBeGreaterThanOrEqual(API_KEY_PREFIX.length + 40);
        expect(apiKey.plaintext.startsWith(apiKey.key.prefix)).toBe(true);
        expect(apiKey.key.prefix.length).toBeLessThan(apiKey.plaintext.length - 32);
        expect(await store.apiKeys.list(app.id)).toEqual([apiKey.key]);
        expect(await store.apiKeys.findByHash(hashApiKey(apiKey.plaintext))).toEqual(apiKey.key);

        expect(await service.authenticate(apiKey.plaintext)).toEqual({
          ok: true,
          appId: app.id,
          keyId: apiKey.key.id,
          keyPrefix: apiKey.key.prefix,
        });
      });

      it("answers invalid_api_key for keys it never issued", async () => {
        const service = new ApiKeyService(store, clock);
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
        const service = new ApiKeyService(store, clock);
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
        const service = new ApiKeyService(store, clock);
        const a = await service.createApp("A");
        const b = await service.createApp("B");
        const resultA = await service.authenticate(a.apiKey.plaintext);
        const resultB = await service.authenticate(b.apiKey.plaintext);
        expect(resultA).toMatchObject({ ok: true, appId: a.app.id, keyId: a.apiKey.key.id });
        expect(resultB).toMatchObject({ ok: true, appId: b.app.id, keyId: b.apiKey.key.id });
        expect(a.app.id).not.toBe(b.app.id);
        // B cannot revoke A's key, and A's key keeps working.
        expect(await service.revokeOwn(b.app.id, a.apiKey.key.id)).toBe("not_found");
        expect(await service.authenticate(a.apiKey.plaintext)).toMatchObject({ ok: true, appId: a.app.id });
        expect(await service.revokeOwn(a.app.id, a.apiKey.key.id)).toBe("revoked");
        expect(await service.authenticate(a.apiKey.plaintext)).toEqual({
          ok: false,
          reason: "api_key_revoked",
        });
        expect(await service.authenticate(b.apiKey.plaintext)).toMatchObject({ ok: true, appId: b.app.id });
      });

      it("records the last use when authenticating, at most once a minute", async () => {
        const ownClock = new FakeClock(T0);
        const service = new ApiKeyService(store, ownClock);
        const { apiKey } = await service.createApp("toucher");
        const lastUsed = async () => (await store.apiKeys.get(apiKey.key.id))?.lastUsedAt;
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

    describe("grants", () => {
      it("inserts and gets a grant, only for its own app", async () => {
        const appA = await newApp();
        const appB = await newApp();
        const grant = grantRecord(appA, {
          scopes: ["openid", "email", "https://www.googleapis.com/auth/drive.readonly"],
          expiresAt: T0 + 86_400_000,
          lastUsedAt: T0 + 5,
          updatedAt: T0 + 10,
        });
        await store.grants.insert(grant);

        expect(await store.grants.get(appA, grant.id)).toEqual(grant);
        expect(await store.grants.get(appB, grant.id)).toBeNull();
        expect(await store.grants.get(newId("app"), grant.id)).toBeNull();
        expect(await store.grants.get(appA, newId("grant"))).toBeNull();
      });

      it("rejects a second grant for the same app, provider and account", async () => {
        const appA = await newApp();
        const appB = await newApp();
        const first = grantRecord(appA, { accountIdentifier: "octocat" });
        await store.grants.insert(first);
        await expect(
          store.grants.insert(grantRecord(appA, { accountIdentifier: "octocat" })),
        ).rejects.toThrow();

        // The same account with another provider, or connected to another app, is another grant.
        const otherProvider = grantRecord(appA, { accountIdentifier: "octocat", providerId: "gitlab" });
        const otherApp = grantRecord(appB, { accountIdentifier: "octocat" });
        await store.grants.insert(otherProvider);
        await store.grants.insert(otherApp);
        expect(await store.grants.get(appA, first.id)).toEqual(first);
        expect(await store.grants.get(appA, otherProvider.id)).toEqual(otherProvider);
        expect(await store.grants.get(appB, otherApp.id)).toEqual(otherApp);
      });

      it("rejects a grant of an app that does not exist", async () => {
        await expect(store.grants.insert(grantRecord(newId("app")))).rejects.toThrow();
      });
    });

    describe("credentials", () => {
      it("saves, loads, replaces and deletes a token set", async () => {
        const credentials = new CredentialStore(store, holder(masterKey("k1")), clock);
        const appId = await newApp();
        const grant = grantRecord(appId);
        await store.grants.insert(grant);

        expect(await credentials.load(grant.id)).toBeNull();
        const first: TokenSet = { accessToken: `access-${hex(8)}` };
        await credentials.save(grant.id, first);
        expect(await credentials.load(grant.id)).toEqual(first);

        const second = tokensFor("second");
        second.idToken = `id-${hex(8)}`;
        await credentials.save(grant.id, second);
        expect(await credentials.load(grant.id)).toEqual(second);
        const rows = await store.db
          .selectFrom("credentials")
          .selectAll()
          .where("grant_id", "=", grant.id)
          .execute();
        expect(rows).toHaveLength(1);

        await store.credentials.delete(grant.id);
        expect(await credentials.load(grant.id)).toBeNull();
        expect(await store.credentials.get(grant.id)).toBeNull();
      });

      it("stores only the sealed value, under the primary key", async () => {
        const credentials = new CredentialStore(
          store,
          holder(masterKey("k_primary"), masterKey("k_old")),
          clock,
        );
        const appId = await newApp();
        const grant = grantRecord(appId);
        await store.grants.insert(grant);
        const tokens = tokensFor("sealed");
        await credentials.save(grant.id, tokens);

        const stored = (await store.credentials.get(grant.id)) ?? "";
        expect(stored.startsWith("gv1:k_primary:")).toBe(true);
        expect(stored).not.toContain(tokens.accessToken);
        expect(stored).not.toContain(tokens.refreshToken);
      });

      it("rejects credentials for a grant that does not exist", async () => {
        const credentials = new CredentialStore(store, holder(masterKey("k1")), clock);
        await expect(credentials.save(newId("grant"), tokensFor("orphan"))).rejects.toThrow();
      });
    });

    describe("times", () => {
      it("round-trip as exact numbers", async () => {
        const appId = newId("app");
        await store.apps.insert({ id: appId, name: "times", createdAt: T0 + 1 });
        const app = await store.apps.get(appId);
        expect(typeof app?.createdAt).toBe("number");
        expect(app?.createdAt).toBe(T0 + 1);

        const service = new ApiKeyService(store, new FakeClock(T0 + 2));
        const apiKey = await service.createKey(appId, null);
        await service.authenticate(apiKey.plaintext);
        await service.revoke(apiKey.key.id);
        const key = await store.apiKeys.get(apiKey.key.id);
        for (const value of [key?.createdAt, key?.lastUsedAt, key?.revokedAt]) {
          expect(typeof value).toBe("number");
          expect(value).toBe(T0 + 2);
        }

        const grant = grantRecord(appId, {
          expiresAt: T0 + 3,
          lastUsedAt: T0 + 4,
          createdAt: T0 + 5,
          updatedAt: 2 ** 53 - 1,
        });
        await store.grants.insert(grant);
        const loaded = await store.grants.get(appId, grant.id);
        for (const field of ["expiresAt", "lastUsedAt", "createdAt", "updatedAt"] as const) {
          expect(typeof loaded?.[field], field).toBe("number");
          expect(loaded?.[field], field).toBe(grant[field]);
        }

        await new CredentialStore(store, holder(masterKey("k1")), new FakeClock(T0 + 6)).save(
          grant.id,
          tokensFor("times"),
        );
        const row = await store.db
          .selectFrom("credentials")
          .select("updated_at")
          .where("grant_id", "=", grant.id)
          .executeTakeFirstOrThrow();
        expect(typeof row.updated_at).toBe("number");
        expect(row.updated_at).toBe(T0 + 6);

        expect(typeof (await store.apps.count())).toBe("number");
      });
    });

    describe("health", () => {
      it("ping answers true while open and false after close", async () => {
        expect(await store.ping()).toBe(true);
        const other = await Store.open(database.url);
        expect(await other.ping()).toBe(true);
        await other.close();
        expect(await other.ping()).toBe(false);
        // Closing one store does not affect another on the same database.
        expect(await store.ping()).toBe(true);
      });
    });

    describe("no plaintext at rest", () => {
      it("keeps token secrets and API keys out of the stored bytes", async () => {
        await withFreshStore(async (fresh, url) => {
          const service = new ApiKeyService(fresh, clock);
          const { app, apiKey } = await service.createApp("scanned");
          const credentials = new CredentialStore(fresh, holder(masterKey("k1")), clock);
          const grant = grantRecord(app.id);
          await fresh.grants.insert(grant);
          const secret = `secret-${hex(16)}`;
          const refresh = `refresh-secret-${hex(16)}`;
          await credentials.save(grant.id, {
            accessToken: secret,
            refreshToken: refresh,
            tokenType: "Bearer",
          });
          const sealed = (await fresh.credentials.get(grant.id)) ?? "";
          expect(await credentials.load(grant.id)).toMatchObject({ accessToken: secret });

          // What must never be stored, in the forms a careless implementation might use.
          const forbidden = [
            secret,
            refresh,
            apiKey.plaintext,
            apiKey.plaintext.slice(apiKey.key.prefix.length),
            Buffer.from(secret).toString("hex"),
            Buffer.from(apiKey.plaintext).toString("hex"),
          ];
          // What is stored, so the scan demonstrably sees the data.
          const expected = [apiKey.key.prefix, hashApiKey(apiKey.plaintext), sealed, grant.id, app.name];

          if (fresh.engine === "sqlite") {
            const file = fresh.location;
            const readAll = async () => {
              const names = (await readdir(dirname(file))).filter((name) => name.startsWith(basename(file)));
              expect(names).toContain(basename(file));
              const chunks = await Promise.all(names.map((name) => readFile(join(dirname(file), name))));
              return Buffer.concat(chunks);
            };
            // While open (recent writes live in the -wal file) ...
            const whileOpen = await readAll();
            // ... and after closing (checkpointed into the database file).
            await fresh.close();
            const dbBytes = await readFile(file);
            const wal = `${file}-wal`;
            const walBytes = await stat(wal).then(
              () => readFile(wal),
              () => Buffer.alloc(0),
            );
            const afterClose = Buffer.concat([dbBytes, walBytes]);
            for (const bytes of [whileOpen, afterClose]) {
              for (const value of forbidden) expect(bytes.includes(value), value).toBe(false);
              for (const value of expected) expect(bytes.includes(value), value).toBe(true);
            }
            // Reopening shows the data was really in those bytes.
            const reopened = await Store.open(url);
            try {
              expect(await reopened.credentials.get(grant.id)).toBe(sealed);
              expect(await reopened.apiKeys.findByHash(hashApiKey(apiKey.plaintext))).toEqual(apiKey.key);
            } finally {
              await reopened.close();
            }
          } else {
            const tables = await sql<{ table_name: string }>`
              select table_name from information_schema.tables
              where table_schema = 'public' and table_type = 'BASE TABLE'
              order by table_name`.execute(fresh.db);
            const names = tables.rows.map((row) => row.table_name);
            expect(names).toEqual(expect.arrayContaining(["apps", "api_keys", "grants", "credentials"]));
            let dump = "";
            for (const name of names) {
              const query = sql<JsonRow>`select row_to_json(t)::text as row from ${sql.table(name)} t`;
              const rows = await query.execute(fresh.db);
              dump += rows.rows.map((row) => row.row).join("\n");
            }
            for (const value of forbidden) expect(dump.includes(value), value).toBe(false);
            for (const value of expected) expect(dump.includes(value), value).toBe(true);
          }
        });
      });
    });

    describe("integrity of sealed credentials", () => {
      it("a tampered ciphertext fails to load with DecryptionError", async () => {
        const credentials = new CredentialStore(store, holder(masterKey("k1")), clock);
        const grant = grantRecord(await newApp());
        await store.grants.insert(grant);
        const tokens = tokensFor("tamper");
        await credentials.save(grant.id, tokens);
        const sealed = (await store.credentials.get(grant.id)) ?? "";
        const tampered = tamper(sealed);
        expect(tampered).not.toBe(sealed);
        expect(tampered).toHaveLength(sealed.length);

        await store.db
          .updateTable("credentials")
          .set({ secret: tampered })
          .where("grant_id", "=", grant.id)
          .execute();
        const error = await credentials.load(grant.id).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as Error).message).not.toContain(tokens.accessToken);

        // Restoring the original value makes it readable again: the failure was the tampering.
        await store.db
          .updateTable("credentials")
          .set({ secret: sealed })
          .where("grant_id", "=", grant.id)
          .execute();
        expect(await credentials.load(grant.id)).toEqual(tokens);
      });

      it("a ciphertext moved to another grant's row fails to load with DecryptionError", async () => {
        const credentials = new CredentialStore(store, holder(masterKey("k1")), clock);
        const appId = await newApp();
        const grantA = grantRecord(appId);
        const grantB = grantRecord(appId);
        await store.grants.insert(grantA);
        await store.grants.insert(grantB);
        const tokensA = tokensFor("A");
        await credentials.save(grantA.id, tokensA);
        await credentials.save(grantB.id, tokensFor("B"));

        const sealedA = (await store.credentials.get(grantA.id)) ?? "";
        await store.db
          .updateTable("credentials")
          .set({ secret: sealedA })
          .where("grant_id", "=", grantB.id)
          .execute();
        expect(await store.credentials.get(grantB.id)).toBe(sealedA);

        const error = await credentials.load(grantB.id).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as Error).message).not.toContain(tokensA.accessToken);
        expect(await credentials.load(grantA.id)).toEqual(tokensA);
      });
    });

    describe("key rotation", () => {
      const COUNT = 450; // more than one page (200) of the re-encryption job

      it("re-encrypts every credential under the new primary key, so the old key can be dropped", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const saved = await seedCredentials(fresh, new CredentialStore(fresh, holder(k1), clock), COUNT);
          expect(await countSealedByKey(fresh)).toEqual({ k1: COUNT });

          const report = await reencryptAll(fresh, new Keyring([k2, k1]));
          expect(report).toEqual({ primaryKeyId: "k2", reencrypted: COUNT, unreadable: [] });
          expect(await countSealedByKey(fresh)).toEqual({ k2: COUNT });

          await expectAllReadable(new CredentialStore(fresh, holder(k2), clock), saved);
          // Nothing is left for the old key alone.
          const oldOnly = new CredentialStore(fresh, holder(k1), clock);
          const [someId = ""] = saved.keys();
          await expect(oldOnly.load(someId)).rejects.toBeInstanceOf(DecryptionError);

          expect(await reencryptAll(fresh, new Keyring([k2, k1]))).toEqual({
            primaryKeyId: "k2",
            reencrypted: 0,
            unreadable: [],
          });
          expect(await reencryptAll(fresh, new Keyring([k2]))).toMatchObject({
            reencrypted: 0,
            unreadable: [],
          });
        });
      });

      it("an interrupted rotation finishes when run again", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const saved = await seedCredentials(fresh, new CredentialStore(fresh, holder(k1), clock), COUNT);
          const ring = new Keyring([k2, k1]);

          const replace = fresh.sealedValues.replace.bind(fresh.sealedValues);
          let succeeded = 0;
          const spy = vi.spyOn(fresh.sealedValues, "replace").mockImplementation(async (...args) => {
            if (succeeded >= 100) throw new Error("simulated crash");
            const replaced = await replace(...args);
            if (replaced) succeeded++;
            return replaced;
          });
          try {
            await expect(reencryptAll(fresh, ring)).rejects.toThrow("simulated crash");
          } finally {
            spy.mockRestore();
          }
          expect(succeeded).toBe(100);
          expect(await countSealedByKey(fresh)).toEqual({ k1: COUNT - 100, k2: 100 });
          // Half-way, a server with both keys reads everything.
          await expectAllReadable(new CredentialStore(fresh, holder(k2, k1), clock), saved);

          const second = await reencryptAll(fresh, ring);
          expect(second.unreadable).toEqual([]);
          expect(succeeded + second.reencrypted).toBe(COUNT);
          expect(await countSealedByKey(fresh)).toEqual({ k2: COUNT });
          await expectAllReadable(new CredentialStore(fresh, holder(k2), clock), saved);
        });
      });

      it("does not overwrite a value a server rewrote under the new key meanwhile", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const saved = await seedCredentials(fresh, new CredentialStore(fresh, holder(k1), clock), 5);
          const server = new CredentialStore(fresh, holder(k2, k1), clock);

          const replace = fresh.sealedValues.replace.bind(fresh.sealedValues);
          let raced = "";
          let racedReplaced: boolean | undefined;
          const newer = tokensFor("newer");
          const spy = vi.spyOn(fresh.sealedValues, "replace").mockImplementation(async (...args) => {
            if (raced !== "") return replace(...args);
            raced = args[1];
            await server.save(raced, newer); // a refresh lands between the job's read and its write
            racedReplaced = await replace(...args);
            return racedReplaced;
          });
          let report: Awaited<ReturnType<typeof reencryptAll>>;
          try {
            report = await reencryptAll(fresh, new Keyring([k2, k1]));
          } finally {
            spy.mockRestore();
          }
          expect(saved.has(raced)).toBe(true);
          expect(racedReplaced).toBe(false);
          expect(report).toEqual({ primaryKeyId: "k2", reencrypted: 4, unreadable: [] });
          expect(await countSealedByKey(fresh)).toEqual({ k2: 5 });

          saved.set(raced, newer);
          await expectAllReadable(new CredentialStore(fresh, holder(k2), clock), saved);
        });
      });

      it("re-encrypts a value a server rewrote under the old key meanwhile, keeping the newer tokens", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const oldServer = new CredentialStore(fresh, holder(k1), clock);
          const saved = await seedCredentials(fresh, oldServer, 5);

          const replace = fresh.sealedValues.replace.bind(fresh.sealedValues);
          let raced = "";
          const newer = tokensFor("newer");
          const spy = vi.spyOn(fresh.sealedValues, "replace").mockImplementation(async (...args) => {
            if (raced === "") {
              raced = args[1];
              await oldServer.save(raced, newer); // a server that has not seen the new key yet
            }
            return replace(...args);
          });
          let report: Awaited<ReturnType<typeof reencryptAll>>;
          try {
            report = await reencryptAll(fresh, new Keyring([k2, k1]));
          } finally {
            spy.mockRestore();
          }
          expect(report).toEqual({ primaryKeyId: "k2", reencrypted: 5, unreadable: [] });
          expect(await countSealedByKey(fresh)).toEqual({ k2: 5 });
          saved.set(raced, newer);
          await expectAllReadable(new CredentialStore(fresh, holder(k2), clock), saved);
        });
      });

      it("reports values it cannot open and leaves them as they are", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const saved = await seedCredentials(fresh, new CredentialStore(fresh, holder(k1), clock), 3);
          const [brokenId = "", ...goodIds] = saved.keys();
          const broken = tamper((await fresh.credentials.get(brokenId)) ?? "");
          await fresh.db
            .updateTable("credentials")
            .set({ secret: broken })
            .where("grant_id", "=", brokenId)
            .execute();

          const report = await reencryptAll(fresh, new Keyring([k2, k1]));
          expect(report.reencrypted).toBe(2);
          expect(report.unreadable).toEqual([
            { table: "credentials", id: brokenId, reason: expect.stringContaining("cannot decrypt") },
          ]);
          expect(await fresh.credentials.get(brokenId)).toBe(broken);
          expect(await countSealedByKey(fresh)).toEqual({ k1: 1, k2: 2 });
          const readable = new CredentialStore(fresh, holder(k2), clock);
          for (const id of goodIds) expect(await readable.load(id)).toEqual(saved.get(id));
        });
      });
    });

    describe("key file rotation seen by a running server", () => {
      let dir: string;

      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), `gv-keyfile-${engine}-`));
      });

      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      /** Waits until the file system clock has moved on, so a rewrite gets a new mtime. */
      async function afterTimestampTick(path: string): Promise<void> {
        const { mtimeMs } = await stat(path);
        while (Date.now() <= mtimeMs + 20) await new Promise((resolve) => setTimeout(resolve, 10));
      }

      it("a KeyringHolder picks up a key file rewritten by another process", async () => {
        const path = join(dir, "running", KEY_FILE_NAME);
        const k1 = masterKey("k1");
        const k2 = masterKey("k2");
        await writeKeyFile(path, [k1]);
        expect((await stat(path)).mode & 0o777).toBe(0o600);

        let now = 1_000_000;
        const loaded = await loadKeyring({
          envValue: undefined,
          dataDir: dirname(path),
          mayCreateFile: false,
        });
        expect(loaded.keyring.keyIds).toEqual(["k1"]);
        const keys = new KeyringHolder(loaded.keyring, loaded.source, () => now);
        const server = new CredentialStore(store, keys, clock);

        const appId = await newApp();
        const before = grantRecord(appId);
        const after = grantRecord(appId);
        await store.grants.insert(before);
        await store.grants.insert(after);
        const beforeTokens = tokensFor("before");
        await server.save(before.id, beforeTokens);
        expect(await server.load(before.id)).toEqual(beforeTokens);

        // The CLI, another process: rotates the key file and seals with the new key.
        await afterTimestampTick(path);
        await writeKeyFile(path, [k2, k1]);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        const cli = await Store.open(database.url);
        const afterTokens = tokensFor("after");
        try {
          await new CredentialStore(cli, holder(k2, k1), clock).save(after.id, afterTokens);
        } finally {
          await cli.close();
        }
        expect((await store.credentials.get(after.id))?.startsWith("gv1:k2:")).toBe(true);

        // Within the check interval the server still has the old ring ...
        now += 500;
        await expect(server.load(after.id)).rejects.toBeInstanceOf(DecryptionError);
        // ... and after it, the new one: it opens k2 values and seals new ones under k2.
        now += 600;
        expect(await server.load(after.id)).toEqual(afterTokens);
        expect(await server.load(before.id)).toEqual(beforeTokens);
        expect((await keys.current()).primaryId).toBe("k2");
        await server.save(before.id, beforeTokens);
        expect((await store.credentials.get(before.id))?.startsWith("gv1:k2:")).toBe(true);
      });

      it("a KeyringHolder picks up a rotation made after it was created but before its first use", async () => {
        const path = join(dir, "idle", KEY_FILE_NAME);
        const k1 = masterKey("k1");
        const k2 = masterKey("k2");
        await writeKeyFile(path, [k1]);

        // The server starts and loads the ring, then serves no credential for a while.
        let now = 1_000_000;
        const loaded = await loadKeyring({
          envValue: undefined,
          dataDir: dirname(path),
          mayCreateFile: false,
        });
        const server = new CredentialStore(
          store,
          new KeyringHolder(loaded.keyring, loaded.source, () => now),
          clock,
        );

        const grant = grantRecord(await newApp());
        await store.grants.insert(grant);
        const tokens = tokensFor("idle");
        await new CredentialStore(store, holder(k1), clock).save(grant.id, tokens);

        // Meanwhile `keys rotate` rewrites the key file and re-encrypts everything under k2.
        await afterTimestampTick(path);
        await writeKeyFile(path, [k2, k1]);
        await new CredentialStore(store, holder(k2, k1), clock).save(grant.id, tokens);
        expect((await store.credentials.get(grant.id))?.startsWith("gv1:k2:")).toBe(true);

        now += 1_100;
        expect(await server.load(grant.id)).toEqual(tokens);
      });
    });
  });
}
