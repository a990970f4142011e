import { Migrator, sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  ApiKeyService,
  CredentialStore,
  hashApiKey,
  migrationProvider,
  newId,
  Store,
  type TokenSet,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  FakeClock,
  grantRecord,
  hex,
  holder,
  masterKey,
  type OpenedDatabase,
  T0,
  tokensFor,
  useContractStore,
} from "./storage-fixtures.js";

/** Storage on one engine: grants, credentials, exact times and health. */
export function grantsContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    const env = useContractStore(open);
    const { clock, newApp } = env;

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
        await env.store.grants.insert(grant);

        expect(await env.store.grants.get(appA, grant.id)).toEqual(grant);
        expect(await env.store.grants.get(appB, grant.id)).toBeNull();
        expect(await env.store.grants.get(newId("app"), grant.id)).toBeNull();
        expect(await env.store.grants.get(appA, newId("grant"))).toBeNull();
      });

      it("F1: keeps one live grant per app, provider, account subject and owner; labels may repeat", async () => {
        const appA = await newApp();
        const appB = await newApp();
        const first = grantRecord(appA, { accountIdentifier: "shared@corp.example", accountSubject: "s-1" });
        await env.store.grants.insert(first);
        // Another account showing the same label is another grant.
        const sameLabel = grantRecord(appA, {
          accountIdentifier: "shared@corp.example",
          accountSubject: "s-2",
        });
        await env.store.grants.insert(sameLabel);
        await expect(env.store.grants.insert(grantRecord(appA, { accountSubject: "s-1" }))).rejects.toThrow();

        // The same account for another owner, another provider or another app is another grant.
        const forUser = grantRecord(appA, { accountSubject: "s-1", userSubject: "user-1" });
        const otherProvider = grantRecord(appA, { accountSubject: "s-1", providerId: "gitlab" });
        const otherApp = grantRecord(appB, { accountSubject: "s-1" });
        for (const grant of [forUser, otherProvider, otherApp]) await env.store.grants.insert(grant);
        await expect(
          env.store.grants.insert(grantRecord(appA, { accountSubject: "s-1", userSubject: "user-1" })),
        ).rejects.toThrow();

        // Revoked grants are out of the key: the account can be connected again, as a new grant.
        await env.store.grants.setStatus(first.id, "revoked", "user left", T0 + 1);
        const again = grantRecord(appA, { accountIdentifier: "shared@corp.example", accountSubject: "s-1" });
        await env.store.grants.insert(again);
        expect(await env.store.grants.get(appA, sameLabel.id)).toEqual(sameLabel);
        expect((await env.store.grants.get(appA, first.id))?.status).toBe("revoked");
      });

      it("F1: finds the live grant by subject and exact owner, never a revoked one", async () => {
        const appId = await newApp();
        const appGrant = grantRecord(appId, { accountSubject: "s-live" });
        const userGrant = grantRecord(appId, { accountSubject: "s-live", userSubject: "user-1" });
        await env.store.grants.insert(appGrant);
        await env.store.grants.insert(userGrant);
        const find = (subject: string, user: string | null, provider = "github") =>
          env.store.grants.findLiveBySubject(appId, provider, subject, user);

        expect(await find("s-live", null)).toEqual(appGrant);
        expect(await find("s-live", "user-1")).toEqual(userGrant);
        expect(await find("s-live", "user-2")).toBeNull();
        expect(await find("s-other", null)).toBeNull();
        expect(await find("s-live", null, "gitlab")).toBeNull();
        await env.store.grants.setStatus(appGrant.id, "reauth_required", "invalid_grant", T0 + 1);
        expect((await find("s-live", null))?.id).toBe(appGrant.id);
        await env.store.grants.setStatus(appGrant.id, "revoked", null, T0 + 2);
        expect(await find("s-live", null)).toBeNull();
      });

      it("F1: finds a grant without a subject by its label, until a reconnect records the subject", async () => {
        const appId = await newApp();
        const legacy = grantRecord(appId, { accountIdentifier: "jane@corp.example", accountSubject: null });
        await env.store.grants.insert(legacy);
        const findLegacy = (label: string, user: string | null) =>
          env.store.grants.findLegacyByLabel(appId, "github", label, user);
        expect(await findLegacy("jane@corp.example", null)).toEqual(legacy);
        expect(await findLegacy("jane@corp.example", "user-1")).toBeNull();
        expect(await findLegacy("other@corp.example", null)).toBeNull();

        const changes = {
          accountIdentifier: "jane.doe@corp.example",
          accountSubject: "s-jane",
          scopes: ["repo"],
          expiresAt: null,
          grantPolicy: null,
          updatedAt: T0 + 5,
        };
        await env.store.grants.setStatus(legacy.id, "reauth_required", "invalid_grant", T0 + 1);
        expect(await env.store.grants.reauthorize(legacy.id, changes)).toBe(true);
        const recorded = { ...legacy, ...changes, status: "active", statusReason: null };
        expect(await env.store.grants.get(appId, legacy.id)).toEqual(recorded);
        expect(await findLegacy("jane@corp.example", null)).toBeNull();
        expect(await findLegacy("jane.doe@corp.example", null)).toBeNull();
        expect(await env.store.grants.findLiveBySubject(appId, "github", "s-jane", null)).toEqual(recorded);

        // Once recorded, the subject is never replaced, and a revoked grant is never revived.
        expect(
          await env.store.grants.reauthorize(legacy.id, { ...changes, accountSubject: "s-mallory" }),
        ).toBe(false);
        await env.store.grants.setStatus(legacy.id, "revoked", null, T0 + 6);
        expect(await env.store.grants.reauthorize(legacy.id, changes)).toBe(false);
        expect((await env.store.grants.get(appId, legacy.id))?.status).toBe("revoked");
      });

      it("F1: migration 0008 keeps existing grants and their credentials, with no subject yet", async () => {
        const opened = await open();
        const bare = await Store.open(opened.url, { migrate: false });
        try {
          const migrator = new Migrator({ db: bare.db, provider: migrationProvider });
          const before = await migrator.migrateTo("0007-api-key-scopes");
          expect(before.error).toBeUndefined();
          const appId = newId("app");
          await sql`insert into apps (id, name, created_at) values (${appId}, 'legacy', ${T0})`.execute(
            bare.db,
          );
          const grantId = newId("grant");
          await sql`insert into grants (id, app_id, provider_id, account_identifier, scopes, status, created_at, updated_at, user_subject) values (${grantId}, ${appId}, 'github', 'octocat', '["repo"]', 'active', ${T0}, ${T0}, 'user-1')`.execute(
            bare.db,
          );
          await bare.credentials.put(grantId, "gv1:k:sealed-legacy", T0);

          expect(await bare.migrate()).toContain("0008-grant-account-subject");
          expect(await bare.grants.get(appId, grantId)).toMatchObject({
            accountIdentifier: "octocat",
            accountSubject: null,
            userSubject: "user-1",
            status: "active",
          });
          expect(await bare.credentials.get(grantId)).toBe("gv1:k:sealed-legacy");
          expect((await bare.grants.findLegacyByLabel(appId, "github", "octocat", "user-1"))?.id).toBe(
            grantId,
          );
          // Foreign keys still hold after the rebuild: a grant of a missing app is refused.
          await expect(bare.grants.insert(grantRecord(newId("app")))).rejects.toThrow();
        } finally {
          await bare.close();
          await opened.cleanup();
        }
      });

      it("reads a key with its own app's grant and sealed credential in one query, never another app's", async () => {
        const keys = new ApiKeyService(env.store, clock);
        const { app: appA, apiKey: keyA } = await keys.createApp("A");
        const { app: appB, apiKey: keyB } = await keys.createApp("B");
        const grant = grantRecord(appA.id, { expiresAt: T0 + 60_000, userSubject: "user-1" });
        await env.store.grants.insert(grant);
        await env.store.credentials.put(grant.id, "gv1:k:sealed-a", T0);
        const bare = grantRecord(appA.id);
        await env.store.grants.insert(bare);
        const hashA = hashApiKey(keyA.plaintext);

        // Twice: the second run reuses the compiled query with new values.
        for (let round = 0; round < 2; round++) {
          expect(await env.store.grants.getForKey(hashA, grant.id)).toEqual({
            key: keyA.key,
            grant,
            sealedCredential: "gv1:k:sealed-a",
          });
          expect(await env.store.grants.getForKey(hashA, bare.id)).toEqual({
            key: keyA.key,
            grant: bare,
            sealedCredential: null,
          });
        }
        // Another app's key finds its key, and no grant.
        expect(await env.store.grants.getForKey(hashApiKey(keyB.plaintext), grant.id)).toEqual({
          key: { ...keyB.key, appId: appB.id },
          grant: null,
          sealedCredential: null,
        });
        expect(await env.store.grants.getForKey(hashA, newId("grant"))).toMatchObject({ grant: null });
        expect(await env.store.grants.getForKey(hashApiKey("gv_live_unknown"), grant.id)).toBeNull();

        // A revoked key is still found (the caller tells "revoked" from "unknown").
        await keys.revoke(keyA.key.id);
        const revoked = await env.store.grants.getForKey(hashA, grant.id);
        expect(revoked?.key.revokedAt).toBe(T0);
      });

      it("rejects a grant of an app that does not exist", async () => {
        await expect(env.store.grants.insert(grantRecord(newId("app")))).rejects.toThrow();
      });
    });

    describe("credentials", () => {
      it("saves, loads, replaces and deletes a token set", async () => {
        const credentials = new CredentialStore(env.store, holder(masterKey("k1")), clock);
        const appId = await newApp();
        const grant = grantRecord(appId);
        await env.store.grants.insert(grant);

        expect(await credentials.load(grant.id)).toBeNull();
        const first: TokenSet = { accessToken: `access-${hex(8)}` };
        await credentials.save(grant.id, first);
        expect(await credentials.load(grant.id)).toEqual(first);

        const second = tokensFor("second");
        second.idToken = `id-${hex(8)}`;
        await credentials.save(grant.id, second);
        expect(await credentials.load(grant.id)).toEqual(second);
        const rows = await env.store.db
          .selectFrom("credentials")
          .selectAll()
          .where("grant_id", "=", grant.id)
          .execute();
        expect(rows).toHaveLength(1);

        await env.store.credentials.delete(grant.id);
        expect(await credentials.load(grant.id)).toBeNull();
        expect(await env.store.credentials.get(grant.id)).toBeNull();
      });

      it("stores only the sealed value, under the primary key", async () => {
        const credentials = new CredentialStore(
          env.store,
          holder(masterKey("k_primary"), masterKey("k_old")),
          clock,
        );
        const appId = await newApp();
        const grant = grantRecord(appId);
        await env.store.grants.insert(grant);
        const tokens = tokensFor("sealed");
        await credentials.save(grant.id, tokens);

        const stored = (await env.store.credentials.get(grant.id)) ?? "";
        expect(stored.startsWith("gv1:k_primary:")).toBe(true);
        expect(stored).not.toContain(tokens.accessToken);
        expect(stored).not.toContain(tokens.refreshToken);
      });

      it("keeps opened token sets, but never for a changed, tampered or moved sealed value", async () => {
        const credentials = new CredentialStore(env.store, holder(masterKey("k1")), clock);
        const appId = await newApp();
        const [grant, other] = [grantRecord(appId), grantRecord(appId)];
        await env.store.grants.insert(grant);
        await env.store.grants.insert(other);
        const tokens = tokensFor("cached");
        await credentials.save(grant.id, tokens);
        const sealed = (await env.store.credentials.get(grant.id)) ?? "";

        const first = await credentials.open(grant.id, sealed);
        expect(first).toEqual(tokens);
        expect(await credentials.open(grant.id, sealed)).toBe(first);
        expect(Object.isFrozen(first)).toBe(true);

        // One character of the ciphertext changed: opened (and refused) as if never seen.
        const last = sealed.at(-2) === "A" ? "B" : "A";
        const tampered = `${sealed.slice(0, -2)}${last}${sealed.at(-1)}`;
        await expect(credentials.open(grant.id, tampered)).rejects.toThrow(/cannot decrypt/);
        // The same sealed value presented as another grant's: bound to its row, refused.
        await expect(credentials.open(other.id, sealed)).rejects.toThrow(/cannot decrypt/);

        // A refresh stores a new sealed value: the new tokens, not the cached ones.
        const refreshed = tokensFor("refreshed");
        await credentials.save(grant.id, refreshed);
        expect(await credentials.load(grant.id)).toEqual(refreshed);
      });

      it("rejects credentials for a grant that does not exist", async () => {
        const credentials = new CredentialStore(env.store, holder(masterKey("k1")), clock);
        await expect(credentials.save(newId("grant"), tokensFor("orphan"))).rejects.toThrow();
      });
    });

    describe("times", () => {
      it("round-trip as exact numbers", async () => {
        const appId = newId("app");
        await env.store.apps.insert({ id: appId, name: "times", createdAt: T0 + 1 });
        const app = await env.store.apps.get(appId);
        expect(typeof app?.createdAt).toBe("number");
        expect(app?.createdAt).toBe(T0 + 1);

        const service = new ApiKeyService(env.store, new FakeClock(T0 + 2));
        const apiKey = await service.createKey(appId, null);
        await service.authenticate(apiKey.plaintext);
        await service.revoke(apiKey.key.id);
        const key = await env.store.apiKeys.get(apiKey.key.id);
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
        await env.store.grants.insert(grant);
        const loaded = await env.store.grants.get(appId, grant.id);
        for (const field of ["expiresAt", "lastUsedAt", "createdAt", "updatedAt"] as const) {
          expect(typeof loaded?.[field], field).toBe("number");
          expect(loaded?.[field], field).toBe(grant[field]);
        }

        await new CredentialStore(env.store, holder(masterKey("k1")), new FakeClock(T0 + 6)).save(
          grant.id,
          tokensFor("times"),
        );
        const row = await env.store.db
          .selectFrom("credentials")
          .select("updated_at")
          .where("grant_id", "=", grant.id)
          .executeTakeFirstOrThrow();
        expect(typeof row.updated_at).toBe("number");
        expect(row.updated_at).toBe(T0 + 6);

        expect(typeof (await env.store.apps.count())).toBe("number");
      });
    });

    describe("health", () => {
      it("ping answers true while open and false after close", async () => {
        expect(await env.store.ping()).toBe(true);
        const other = await Store.open(env.database.url);
        expect(await other.ping()).toBe(true);
        await other.close();
        expect(await other.ping()).toBe(false);
        // Closing one env.store does not affect another on the same env.database.
        expect(await env.store.ping()).toBe(true);
      });
    });
  });
}
