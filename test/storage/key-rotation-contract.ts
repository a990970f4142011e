import { describe, expect, it, vi } from "vitest";
import {
  bindingOf,
  CredentialStore,
  countSealedByKey,
  DecryptionError,
  Keyring,
  newId,
  reencryptAll,
  type Store,
  type TokenSet,
  USER_TOKEN_FIELD,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  FakeClock,
  freshStoreRunner,
  grantRecord,
  hex,
  holder,
  masterKey,
  type OpenedDatabase,
  T0,
  tamper,
  tokensFor,
} from "./storage-fixtures.js";

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

/**
 * Storage on one engine: re-encrypting every credential under a new master key (`keys rotate`).
 * Every test runs on a database of its own, as the job scans everything stored.
 */
export function keyRotationContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    const clock = new FakeClock(T0);
    const withFreshStore = freshStoreRunner(open);

    async function newApp(target: Store, name = "app"): Promise<string> {
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

      it("item 13: counts and re-encrypts past connect sessions that hold no user token", async () => {
        await withFreshStore(async (fresh) => {
          const k1 = masterKey("k1");
          const k2 = masterKey("k2");
          const saved = await seedCredentials(fresh, new CredentialStore(fresh, holder(k1), clock), 2);
          const appId = await newApp(fresh, "sessions");
          const session = (id: string, kind: "connect" | "auth") => ({
            id,
            appId,
            confirmationCode: "ABCD-EFGH",
            status: "pending" as const,
            allowedProviders: ["github"],
            grantPolicy: null,
            results: null,
            userInfo: null,
            error: null,
            createdAt: T0,
            expiresAt: T0 + 600_000,
            updatedAt: T0,
            kind,
            allowedOrigin: null,
            returnUrl: null,
            requiredScopes: null,
            metadata: null,
            userSubject: null,
          });
          // A connect session never gets a user token: its sealed column stays NULL.
          await fresh.connectSessions.insert(session(`cs_${hex(12)}`, "connect"), hex(32));
          // A completed sign-in holds a sealed ID token.
          const signInId = `cs_${hex(12)}`;
          await fresh.connectSessions.insert(session(signInId, "auth"), hex(32));
          const sealedIdToken = new Keyring([k1]).seal("id-token", bindingOf(USER_TOKEN_FIELD, signInId));
          await fresh.connectSessions.finish(
            signInId,
            { status: "completed", userInfo: { sub: "u1" }, sealedUserToken: sealedIdToken },
            T0,
          );

          expect(await countSealedByKey(fresh)).toEqual({ k1: 3 });
          const ring = new Keyring([k2, k1]);
          expect(await reencryptAll(fresh, ring)).toEqual({
            primaryKeyId: "k2",
            reencrypted: 3,
            unreadable: [],
          });
          expect(await countSealedByKey(fresh)).toEqual({ k2: 3 });
          const moved = (await fresh.connectSessions.sealedUserToken(appId, signInId)) ?? "";
          expect(new Keyring([k2]).open(moved, bindingOf(USER_TOKEN_FIELD, signInId))).toBe("id-token");
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
  });
}
