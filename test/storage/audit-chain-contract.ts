import { Migrator } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiKeyManagement,
  ApiKeyService,
  AuditLog,
  type AuditRow,
  type ChainFields,
  type ChainTip,
  type CheckpointRow,
  countAuditMacsByKey,
  GENESIS,
  type GrantUseFacts,
  hashApiKey,
  hashOf,
  Keyring,
  migrationProvider,
  newEventId,
  remacAll,
  Store,
  systemClock,
} from "../../packages/server/src/testing.js";
import { grantRecord, holder, masterKey, type OpenedDatabase } from "./storage-fixtures.js";

/**
 * The audit chain under concurrency, on one engine: appends batch, remember the tip, and settle
 * races between processes through the (app, seq) primary key. Several `AuditLog`s on one
 * database stand in for several server processes: each has its own writers and cached tips.
 */
export function auditChainContract(engine: string, open: () => Promise<OpenedDatabase>): void {
  describe(`audit chain on ${engine}`, () => {
    let database: OpenedDatabase;
    let stores: [Store, Store, Store];
    // The master key ring, held outside the database: it keys the chain's MACs (F8).
    const ringKey = masterKey("k1");
    const ring = holder(ringKey);

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
      const log = new AuditLog(stores[0], systemClock, ring);
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
      const logs = stores.map((store) => new AuditLog(store, systemClock, ring));
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
      const first = new AuditLog(stores[0], systemClock, ring);
      const second = new AuditLog(stores[1], systemClock, ring);
      await first.append({ appId: "app_c", type: "session.created" }); // first caches tip 1
      await second.append({ appId: "app_c", type: "session.created" }); // second writes 2
      await first.append({ appId: "app_c", type: "grant.created" }); // first's cache is stale
      expect(await seqs("app_c")).toStrictEqual([1, 2, 3]);
      expect(await first.verify("app_c")).toMatchObject({ ok: true, checked: 3 });
    });

    it("rejects an append whose row cannot be written, keeps nothing of it, and goes on", async () => {
      const log = new AuditLog(stores[0], systemClock, ring);
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
        keyScopes: apiKey.key.scopes.join(" "),
        keyExpiresAt: null,
        appId: app.id,
        grantId: grant.id,
        providerId: grant.providerId,
        expiresAt: grant.expiresAt,
        userSubject: grant.userSubject,
        sealedCredential: "gv1:k:sealed-1",
      };
      const log = new AuditLog(store, systemClock, ring);
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
        [
          "key rescoped",
          () => store.apiKeys.update(apiKey.key.id, { scopes: ["proxy"] }),
          () => store.apiKeys.update(apiKey.key.id, { scopes: apiKey.key.scopes }),
        ],
        [
          "key expiry set",
          () => store.apiKeys.update(apiKey.key.id, { expiresAt: Date.now() + 60_000 }),
          () => store.apiKeys.update(apiKey.key.id, { expiresAt: null }),
        ],
        [
          "key disabled",
          () => store.apiKeys.update(apiKey.key.id, { disabledAt: Date.now() }),
          () => store.apiKeys.update(apiKey.key.id, { disabledAt: null }),
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

    it("keeps a chain written before the audit table was re-keyed by (app, seq) and before its links were MACed (F8 legacy)", async () => {
      const opened = await open();
      const old = await Store.open(opened.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: old.db, provider: migrationProvider });
        expect((await migrator.migrateTo("0005-web-and-identity")).error).toBeUndefined();
        await old.apps.insert({ id: "app_old", name: "old", createdAt: Date.now() });
        await old.apps.insert({ id: "app_idle", name: "idle", createdAt: Date.now() });
        // Rows as the unkeyed chain wrote them: plain SHA-256 links, no MAC.
        let previous = GENESIS;
        for (let i = 0; i < 5; i++) {
          const fields = legacyFields("app_old", previous, { i });
          const row = { ...fields, hash: hashOf(fields) };
          await old.db.insertInto("audit_events").values(row).execute();
          previous = row;
        }

        const applied = await old.migrate();
        expect(applied).toContain("0006-audit-chain-key");
        expect(applied).toContain("0011-audit-mac");
        const after = new AuditLog(old, systemClock, ring);
        // Legacy up to here, and nothing anchors app_old's legacy tail yet.
        const before = await after.verify();
        expect(before.problems.map((p) => p.appId)).toStrictEqual(["app_idle", "app_old"]);
        // A keyed link (or a checkpoint) covers the legacy rows before it.
        await after.append({ appId: "app_old", type: "grant.created" });
        // Anchoring a legacy tail is the operator's explicit, one-time act.
        expect((await after.checkpoint("app_idle")).refused).toMatchObject([{ kind: "unanchored_legacy" }]);
        expect((await after.checkpoint("app_idle", [], { adoptLegacy: true })).taken).toHaveLength(1);
        expect(await after.verify("app_old")).toMatchObject({ ok: true, checked: 6, legacy: 5 });
        // The migration started the idle app's chain with a legacy app.created.
        expect(await after.verify()).toMatchObject({ ok: true, checked: 7, legacy: 6, checkpoints: 1 });
        const listed = await after.list("app_old", {}, 10);
        expect(listed.map((row) => Number(row.seq))).toStrictEqual([6, 5, 4, 3, 2, 1]);
        expect(listed.map((row) => row.mac_key_id)).toStrictEqual(["k1", null, null, null, null, null]);
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

    describe("F8: a keyed chain, and checkpoints of its tip", () => {
      /** An app made by the operator (its chain starts with app.created) with `events` more events. */
      async function chainOf(events: number): Promise<{ appId: string; log: AuditLog }> {
        const log = new AuditLog(stores[0], systemClock, ring);
        const { app } = await ApiKeyManagement.forStore(stores[0], systemClock, ring).createApp("f8");
        for (let i = 0; i < events; i++) {
          await log.append({ appId: app.id, type: "credential.retrieved", details: { i } });
        }
        return { appId: app.id, log };
      }
      const problemsOf = async (log: AuditLog, appId?: string, exported: CheckpointRow[] = []) =>
        (await log.verify(appId, exported)).problems.map((p) => p.problem).join("\n");

      it("F8: an untouched chain verifies; every link is MACed under the key ring's key", async () => {
        const { appId, log } = await chainOf(4);
        expect((await log.checkpoint(appId)).refused).toStrictEqual([]);
        // app.created and api_key.created first, then the four events.
        expect(await log.verify(appId)).toMatchObject({ ok: true, checked: 6, legacy: 0, checkpoints: 1 });
        const rows = await log.list(appId, {}, 10);
        expect(rows.at(-1)?.type).toBe("app.created");
        expect(new Set(rows.map((row) => row.mac_key_id))).toStrictEqual(new Set(["k1"]));
        // Another ring (a database copied next to another vault) cannot vouch for these rows.
        const stranger = new AuditLog(stores[0], systemClock, holder(masterKey("k1")));
        expect(await problemsOf(stranger, appId)).toContain("its MAC does not match");
      });

      it("F8: a row rewritten and every later row re-hashed with plain SHA-256 is detected", async () => {
        const { appId, log } = await chainOf(4);
        const rows = (await log.list(appId, {}, 10)).reverse();
        let previous = GENESIS;
        for (const row of rows) {
          const { hash: _hash, mac: _mac, mac_key_id: _keyId, ...fields } = row;
          const rewritten = { ...fields, prev_hash: previous.hash };
          if (Number(row.seq) === 3) rewritten.details = JSON.stringify({ i: "nothing happened" });
          const hash = hashOf(rewritten);
          await stores[0].db
            .updateTable("audit_events")
            .set({ details: rewritten.details, prev_hash: rewritten.prev_hash, hash })
            .where("app_id", "=", appId)
            .where("seq", "=", row.seq)
            .execute();
          previous = { seq: Number(row.seq), hash };
        }
        const report = await log.verify(appId);
        expect(report.ok).toBe(false);
        expect(report.problems[0]).toMatchObject({
          seq: 3,
          problem: "was rewritten: its MAC does not match (re-hashed without the audit key)",
        });

        // Stripping the MACs as well (passing the rows off as legacy) is no way out.
        await stores[0].db
          .updateTable("audit_events")
          .set({ mac: null, mac_key_id: null })
          .where("app_id", "=", appId)
          .execute();
        expect(await problemsOf(log, appId)).toContain("have no MAC and no checkpoint covers them");
        // And no routine checkpoint vouches for the stripped chain.
        expect(await log.checkpoint(appId)).toMatchObject({
          taken: [],
          refused: [{ kind: "unanchored_legacy" }],
        });
      });

      it("F8: newest events deleted below a checkpoint are detected, in the database and from an export", async () => {
        const { appId, log } = await chainOf(5);
        const { taken: exported } = await log.checkpoint(appId);
        expect(exported).toMatchObject([{ app_id: appId, seq: 7 }]);
        await stores[0].db
          .deleteFrom("audit_events")
          .where("app_id", "=", appId)
          .where("seq", ">", 5)
          .execute();
        expect(await problemsOf(log, appId)).toContain("the chain ends at event 5, but a checkpoint of");
        // The stored checkpoints deleted too: the exported ones still know.
        await stores[0].db.deleteFrom("audit_checkpoints").where("app_id", "=", appId).execute();
        expect(await log.verify(appId)).toMatchObject({ ok: true });
        expect(await problemsOf(log, appId, exported)).toContain("newest events deleted");
        // A forged export line is refused, not trusted.
        const forged = [{ ...(exported[0] as CheckpointRow), seq: 5 }];
        expect(await problemsOf(log, appId, forged)).toContain("checkpoint of");
        expect(await problemsOf(log, appId, forged)).toContain("is forged");
      });

      it("F8: a whole chain deleted is detected: by its app, and by an exported checkpoint", async () => {
        const { appId, log } = await chainOf(2);
        const { taken: exported } = await log.checkpoint(appId);
        await stores[0].db.deleteFrom("audit_events").where("app_id", "=", appId).execute();
        await stores[0].db.deleteFrom("audit_checkpoints").where("app_id", "=", appId).execute();
        expect(await problemsOf(log)).toContain("the app has no audit events");
        // The app itself deleted too (its keys with it): only the export remembers.
        await stores[0].db.deleteFrom("api_keys").where("app_id", "=", appId).execute();
        await stores[0].db.deleteFrom("apps").where("id", "=", appId).execute();
        const report = await log.verify(undefined, exported);
        expect(report.problems).toContainEqual(
          expect.objectContaining({ appId, problem: expect.stringContaining("the whole chain is missing") }),
        );
      });

      it("F8: re-MACing under a new primary keeps the chain and its exported checkpoints verifiable", async () => {
        const { appId, log } = await chainOf(3);
        const { taken: exported } = await log.checkpoint(appId);
        // Another chain, one row rewritten and re-hashed without the key: a rotation must not launder it.
        const tampered = await chainOf(0);
        const [row] = await log.list(tampered.appId, {}, 1);
        const { hash: _hash, mac: _mac, mac_key_id: _keyId, ...fields } = row as AuditRow;
        const rewritten = { ...fields, details: JSON.stringify({ scopes: ["everything"] }) };
        await stores[0].db
          .updateTable("audit_events")
          .set({ details: rewritten.details, hash: hashOf(rewritten) })
          .where("app_id", "=", tampered.appId)
          .where("seq", "=", rewritten.seq)
          .execute();

        const next = masterKey("k2");
        const report = await remacAll(stores[0], new Keyring([next, ringKey]));
        expect(report.unverifiable).toStrictEqual([
          expect.objectContaining({ appId: tampered.appId, seq: 2, what: "event" }),
        ]);
        expect(report.remaced).toBeGreaterThanOrEqual(6);
        // Only the new key left: every row and checkpoint verifies, the old export too (by hash).
        const onlyNew = new AuditLog(stores[0], systemClock, holder(next));
        expect(await onlyNew.verify(appId, exported)).toMatchObject({ ok: true, checked: 5, checkpoints: 2 });
        expect(await countAuditMacsByKey(stores[0])).toStrictEqual({ k1: 1, k2: expect.any(Number) });
        expect((await onlyNew.verify(tampered.appId)).ok).toBe(false);
      });
    });
  });
}

/** A row's fields as the unkeyed chain (before F8) wrote them, after `previous`. */
function legacyFields(appId: string, previous: ChainTip, details: Record<string, unknown>): ChainFields {
  return {
    id: newEventId(),
    app_id: appId,
    seq: previous.seq + 1,
    created_at: Date.now(),
    type: "session.created",
    outcome: "ok",
    grant_id: null,
    provider_id: null,
    api_key_prefix: null,
    reason: null,
    context: null,
    details: JSON.stringify(details),
    prev_hash: previous.hash,
  };
}
