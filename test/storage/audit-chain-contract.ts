import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../packages/server/src/audit/audit-log.js";
import { systemClock } from "../../packages/server/src/clock.js";
import { Store } from "../../packages/server/src/storage/store.js";
import type { OpenedDatabase } from "./storage-fixtures.js";

/**
 * The audit chain under concurrency, on one engine: appends batch, remember the tip, and settle
 * races between processes through the unique (app, seq) constraint. Several `AuditLog`s on one
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
  });
}
