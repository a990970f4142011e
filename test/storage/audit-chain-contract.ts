import { Migrator } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, hashApiKey } from "../../packages/server/src/apps/api-keys.js";
import { AuditLog } from "../../packages/server/src/audit/audit-log.js";
import { systemClock } from "../../packages/server/src/clock.js";
import type { GrantUseFacts } from "../../packages/server/src/storage/audit-repository.js";
import { migrationProvider } from "../../packages/server/src/storage/migrations/index.js";
import { Store } from "../../packages/server/src/storage/store.js";
import { grantRecord, type OpenedDatabase } from "./storage-fixtures.js";

/**
 * The audit chain under concurrency, on one engine: appends batch, remember the tip, and settle
 * races between processes through the (app, seq) primary key. Several `AuditLog`s on one
 * database stand in for several server processes: each has its own writers and cached tips.
 */
export function auditChainContract(engine: string, open: () => Promise<OpenedDatabase>): void {
  describe(`audit chain on ${engine}`, () => {
    let database: OpenedDatabase;
    let stores: [Store, Store, Store];

    beforeAll(async () => {
      database = await open();
      // SQLite is one process in production; three stores on one file still share its write lock.
      const first = await Store.open(database.url);
      const more = { migrate: false };
      stores = [first, await Store.open(database.url, more), await Store.open(database.url, more)];
      for (const appId of ["app_a", "app_b", "app_c", "app_d"]) {
        await first.apps.insert({ id: appId, name: appId, createdAt: Date.now() });
      }
    });
    afterAll(async () => {
      for (const store of stores ?? []) await store.close();
      await database?.cleanup();
    });

    async function seqs(appId: string): Promise<number[]> {
      const rows = await stores[0].db
        .selectFrom("audit_events")
        .select("seq")
        .where("app_id", "=", appId)
        .orderBy("seq")
        .execute();
      return rows.map((row) => Number(row.seq));
    }

    it("keeps every one of many concurrent appends from one process, in order, in one unbroken chain", async () => {
      const log = new AuditLog(stores[0], systemClock);
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          log.append({ appId: "app_a", type: "credential.retrieved", details: { n: i } }),
        ),
      );
      expect(await seqs("app_a")).toStrictEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      const rows = await log.list("app_a", {}, 300);
      // Queue order is chain order.
      expect(rows.map((row) => JSON.parse(row.details ?? "{}").n).reverse()).toStrictEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
      expect(await log.verify("app_a")).toMatchObject({ ok: true, checked: 300 });
    });

    it("loses nothing when three processes append to one chain at once", async () => {
      const logs = stores.map((store) => new AuditLog(store, systemClock));
      const [first] = logs as [AuditLog];
      await Promise.all(
        logs.flatMap((log, p) =>
          Array.from({ length: 100 }, (_, i) =>
            log.append({ appId: "app_b", type: "request.proxied", details: { p, i } }),
          ),
        ),
      );
      expect(await seqs("app_b")).toStrictEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(await first.verify("app_b")).toMatchObject({ ok: true, checked: 300 });
    });

    it("re-reads a tip another process moved: a stale cached tip never forks the chain", async () => {
      const first = new AuditLog(stores[0], systemClock);
      const second = new AuditLog(stores[1], systemClock);
      await first.append({ appId: "app_c", type: "session.created" }); // first caches tip 1
      await second.append({ appId: "app_c", type: "session.created" }); // second writes 2
      await first.append({ appId: "app_c", type: "grant.created" }); // first's cache is stale
      expect(await seqs("app_c")).toStrictEqual([1, 2, 3]);
      expect(await first.verify("app_c")).toMatchObject({ ok: true, checked: 3 });
    });

    it("rejects an append whose row cannot be written, keeps nothing of it, and goes on", async () => {
      const log = new AuditLog(stores[0], systemClock);
      await log.append({ appId: "app_d", type: "session.created" });
      // A NULL type violates the column's NOT NULL constraint: the database refuses the row.
      const broken = { appId: "app_d", type: null } as unknown as Parameters<AuditLog["append"]>[0];
      await expect(log.append(broken)).rejects.toThrow();
      await log.append({ appId: "app_d", type: "grant.created" });
      expect(await seqs("app_d")).toStrictEqual([1, 2]);
      expect(await log.verify("app_d")).toMatchObject({ ok: true, checked: 2 });
    });
    it("writes a conditional append only while its facts hold; one that fails takes no place in the chain", async () => {
      const store = stores[0];
      const keys = new ApiKeyService(store, systemClock);
      const { app, apiKey } = await keys.createApp("facts");
      const grant = grantRecord(app.id, { expiresAt: Date.now() + 3_600_000, userSubject: "user-1" });
      await store.grants.insert(grant);
      await store.credentials.put(grant.id, "gv1:k:sealed-1", Date.now());
      const facts: GrantUseFacts = {
        keyHash: hashApiKey(apiKey.plaintext),
        appId: app.id,
        grantId: grant.id,
        providerId: grant.providerId,
        expiresAt: grant.expiresAt,
        userSubject: grant.userSubject,
        sealedCredential: "gv1:k:sealed-1",
      };
      const log = new AuditLog(store, systemClock);
      const use = { appId: app.id, grantId: grant.id, type: "credential.retrieved" as const };
      expect(await log.appendIf(use, facts)).toBe(true);

      // Each fact, changed in the database (as another server would), stops the next append.
      const setGrant = (values: { expires_at?: number | null; user_subject?: string | null }) =>
        store.db.updateTable("grants").set(values).where("id", "=", grant.id).execute();
      // What was changed, and how to undo it (null: it stays, and is the last change tried).
      const changes: [string, () => Promise<unknown>, (() => Promise<unknown>) | null][] = [
        [
          "credential replaced",
          () => store.credentials.put(grant.id, "gv1:k:sealed-2", Date.now()),
          () => store.credentials.put(grant.id, "gv1:k:sealed-1", Date.now()),
        ],
        [
          "grant revoked",
          () => store.grants.setStatus(grant.id, "revoked", "test", Date.now()),
          // `revoked` is final for setStatus (F3); the test undoes it below the repositories.
          () =>
            store.db
              .updateTable("grants")
              .set({ status: "active", status_reason: null })
              .where("id", "=", grant.id)
              .execute(),
        ],
        [
          "expiry changed",
          () => setGrant({ expires_at: 1 }),
          () => setGrant({ expires_at: grant.expiresAt }),
        ],
        [
          "user changed",
          () => setGrant({ user_subject: "user-2" }),
          () => setGrant({ user_subject: "user-1" }),
        ],
        ["key revoked", () => keys.revoke(apiKey.key.id), null],
      ];
      let written = 1;
      for (const [what, change, undo] of changes) {
        await change();
        expect({ what, written: await log.appendIf(use, facts) }).toStrictEqual({ what, written: false });
        if (undo) {
          await undo();
          expect({ what, written: await log.appendIf(use, facts) }).toStrictEqual({ what, written: true });
          written++;
        }
      }
      // Another app's key, with otherwise true facts, never writes into this app's grant.
      const other = await keys.createApp("other");
      const foreign = { ...facts, keyHash: hashApiKey(other.apiKey.plaintext) };
      expect(await log.appendIf(use, foreign)).toBe(false);

      await log.append({ appId: app.id, type: "grant.revoked" });
      expect(await seqs(app.id)).toStrictEqual(Array.from({ length: written + 1 }, (_, i) => i + 1));
      expect(await log.verify(app.id)).toMatchObject({ ok: true, checked: written + 1 });
    });

    it("keeps a chain written before the audit table was re-keyed by (app, seq)", async () => {
      const opened = await open();
      const old = await Store.open(opened.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: old.db, provider: migrationProvider });
        expect((await migrator.migrateTo("0005-web-and-identity")).error).toBeUndefined();
        await old.apps.insert({ id: "app_old", name: "old", createdAt: Date.now() });
        const log = new AuditLog(old, systemClock);
        for (let i = 0; i < 5; i++)
          await log.append({ appId: "app_old", type: "session.created", details: { i } });

        expect((await old.migrate())[0]).toBe("0006-audit-chain-key");
        const after = new AuditLog(old, systemClock);
        await after.append({ appId: "app_old", type: "grant.created" });
        expect(await after.verify("app_old")).toMatchObject({ ok: true, checked: 6 });
        const listed = await after.list("app_old", {}, 10);
        expect(listed.map((row) => Number(row.seq))).toStrictEqual([6, 5, 4, 3, 2, 1]);
        // The chain's place is the key: a second row at seq 6 is refused.
        const [newest] = listed;
        await expect(
          old.db
            .insertInto("audit_events")
            .values({ ...(newest as (typeof listed)[0]), id: "evt_duplicate" })
            .execute(),
        ).rejects.toThrow();
      } finally {
        await old.close();
        await opened.cleanup();
      }
    });
  });
}
