import { readdir, readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  AuditLog,
  bindingOf,
  ConfigEvents,
  countSealedByKey,
  createLogger,
  IDENTITY_SECRET_FIELD,
  Keyring,
  type KeyringHolder,
  OPERATOR,
  ProviderAdmin,
  type ProviderConfig,
  ProviderDirectory,
  reencryptAll,
  Store,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  freshStoreRunner,
  hex,
  holder,
  masterKey,
  type OpenedDatabase,
  tamper,
  useContractStore,
} from "./storage-fixtures.js";

const PUBLIC_URL = "https://vault.example.com";

/** The control plane's storage on one engine (issue 15): sealed client secrets, imports, propagation. */
export function controlPlaneContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`control plane on ${engine}`, () => {
    const env = useContractStore(open);
    const { clock, newApp } = env;
    const withFreshStore = freshStoreRunner(open);

    /** The admin and the directory of one server process over `store`. */
    function processOver(store: Store, keys: KeyringHolder, events = new ConfigEvents(store.pubsub)) {
      const admin = new ProviderAdmin({
        store,
        keys,
        audit: new AuditLog(store, clock, keys),
        events,
        clock,
        publicUrl: PUBLIC_URL,
      });
      const directory = new ProviderDirectory({
        store,
        keys,
        events,
        logger: createLogger("silent"),
        now: () => clock.now(),
      });
      return { admin, directory, events };
    }

    const github = (clientId: string, clientSecret: string): ProviderConfig => ({
      id: "github",
      catalog: "github",
      clientId,
      clientSecret,
    });

    it("two apps give the same catalog provider different clients; each sees only its own", async () => {
      const { admin, directory } = processOver(env.store, holder(masterKey("k1")));
      const [a, b, c] = [await newApp(), await newApp(), await newApp()];
      await admin.create(OPERATOR, a, github("client-a", `secret-a-${hex(8)}`));
      await admin.create(OPERATOR, b, github("client-b", `secret-b-${hex(8)}`));
      expect((await directory.forApp(a)).get("github")?.clientId).toBe("client-a");
      expect((await directory.forApp(b)).get("github")?.clientId).toBe("client-b");
      expect((await directory.forApp(c)).ids()).toEqual([]);
    });

    it("keeps the client secret sealed at rest, and out of the audit rows and views", async () => {
      await withFreshStore(async (fresh, url) => {
        const keys = holder(masterKey("k1"));
        const { admin, directory } = processOver(fresh, keys);
        const appId = await newApp(fresh);
        const secret = `client-secret-${hex(16)}`;
        const view = await admin.create(OPERATOR, appId, github("client-scan", secret));
        expect(JSON.stringify(view)).not.toContain(secret);
        expect((await directory.forApp(appId)).get("github")?.clientSecret).toBe(secret);
        const audit = await new AuditLog(fresh, clock, keys).list(appId, {}, 10);
        expect(audit.map((row) => row.type)).toContain("provider.created");

        const forbidden = [
          secret,
          Buffer.from(secret).toString("hex"),
          Buffer.from(secret).toString("base64"),
        ];
        const expected = ["client-scan", (await fresh.providers.get(appId, "github"))?.sealedSecret ?? "?"];
        const dump = await storedBytes(fresh, url);
        for (const value of forbidden) expect(dump.includes(value), value).toBe(false);
        for (const value of expected) expect(dump.includes(value), value).toBe(true);
      });
    });

    it("a tampered or moved client secret is never used: the provider is unusable", async () => {
      const { admin, directory } = processOver(env.store, holder(masterKey("k1")));
      const appId = await newApp();
      await admin.create(OPERATOR, appId, github("client-t", `secret-${hex(8)}`));
      await admin.create(OPERATOR, appId, { ...github("client-u", `other-${hex(8)}`), id: "github2" });
      const row = await env.store.providers.get(appId, "github");
      const other = await env.store.providers.get(appId, "github2");
      if (!row || !other) throw new Error("rows missing");

      await env.store.db
        .updateTable("providers")
        .set({ client_secret: tamper(row.sealedSecret) })
        .where("id", "=", row.id)
        .execute();
      directory.forget(appId);
      const providers = await directory.forApp(appId);
      expect(providers.get("github")).toBeUndefined();
      expect(providers.isDisabled("github")).toBe(true);

      // Another row's sealed secret, valid but bound to that row, does not open here either.
      await env.store.db
        .updateTable("providers")
        .set({ client_secret: other.sealedSecret })
        .where("id", "=", row.id)
        .execute();
      directory.forget(appId);
      expect((await directory.forApp(appId)).get("github")).toBeUndefined();
      expect((await directory.forApp(appId)).get("github2")?.clientId).toBe("client-u");
    });

    it("key rotation re-seals provider and identity provider secrets; they work under the new key alone", async () => {
      await withFreshStore(async (fresh) => {
        const k1 = masterKey("k1");
        const k2 = masterKey("k2");
        const appId = await newApp(fresh);
        const secret = `rotate-me-${hex(8)}`;
        await processOver(fresh, holder(k1)).admin.create(OPERATOR, appId, github("client-r", secret));
        const identitySecret = `idp-${hex(8)}`;
        await fresh.identityProviders.put({
          appId,
          config: { issuer: "https://sso.example.com", clientId: "idp-client" },
          sealedSecret: new Keyring([k1]).seal(identitySecret, bindingOf(IDENTITY_SECRET_FIELD, appId)),
          enabled: true,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        });
        expect(await countSealedByKey(fresh)).toEqual({ k1: 2 });

        expect(await reencryptAll(fresh, new Keyring([k2, k1]))).toMatchObject({
          reencrypted: 2,
          unreadable: [],
        });
        expect(await countSealedByKey(fresh)).toEqual({ k2: 2 });
        const afterRotation = processOver(fresh, holder(k2)).directory;
        expect((await afterRotation.forApp(appId)).get("github")?.clientSecret).toBe(secret);
        expect((await afterRotation.identityFor(appId))?.provider.clientSecret).toBe(identitySecret);
        // The old key alone opens nothing any more.
        const oldOnly = processOver(fresh, holder(k1)).directory;
        expect((await oldOnly.forApp(appId)).get("github")).toBeUndefined();
      });
    });

    it("import is idempotent: a second run changes nothing, a changed secret is an update", async () => {
      const keys = holder(masterKey("k1"));
      const { admin, directory } = processOver(env.store, keys);
      const appId = await newApp();
      await admin.create(OPERATOR, appId, { ...github("kept", "kept-secret"), id: "kept" });
      const file = [github("client-i", "secret-1"), { ...github("client-j", "secret-2"), id: "second" }];
      expect(await admin.import(OPERATOR, appId, file)).toEqual({
        created: ["github", "second"],
        updated: [],
        unchanged: [],
      });
      expect(await admin.import(OPERATOR, appId, file)).toEqual({
        created: [],
        updated: [],
        unchanged: ["github", "second"],
      });
      const changed = [github("client-i", "secret-rotated"), file[1] as ProviderConfig];
      expect(await admin.import(OPERATOR, appId, changed)).toEqual({
        created: [],
        updated: ["github"],
        unchanged: ["second"],
      });
      expect((await directory.forApp(appId)).get("github")?.clientSecret).toBe("secret-rotated");
      // Providers the file does not name stay.
      expect((await directory.forApp(appId)).ids().sort()).toEqual(["github", "kept", "second"]);
      const updates = await new AuditLog(env.store, clock, keys).list(
        appId,
        { type: "provider.updated" },
        10,
      );
      expect(updates).toHaveLength(1);
      expect(JSON.parse(updates[0]?.details ?? "{}")).toMatchObject({ changed: ["clientSecret"] });
      expect(JSON.stringify(updates)).not.toContain("secret-rotated");
    });

    it("a change made by one process reaches another process's directory within a second", async () => {
      const keys = holder(masterKey("k1"));
      // Another process: its own connection pool and, on PostgreSQL, its own listening connection.
      // The embedded default (SQLite) is one process, which shares its ConfigEvents.
      const otherStore = engine === "postgres" ? await Store.open(env.database.url) : env.store;
      try {
        const writer = processOver(env.store, keys);
        const reader =
          engine === "postgres"
            ? processOver(otherStore, keys)
            : processOver(otherStore, keys, writer.events);
        await reader.events.start();
        const appId = await newApp();
        expect((await reader.directory.forApp(appId)).ids()).toEqual([]);

        await writer.admin.create(OPERATOR, appId, github("first", "s1"));
        await expectWithin(
          1000,
          async () => (await reader.directory.forApp(appId)).get("github")?.clientId,
          "first",
        );
        await writer.admin.update(OPERATOR, appId, "github", { clientId: "second" });
        await expectWithin(
          1000,
          async () => (await reader.directory.forApp(appId)).get("github")?.clientId,
          "second",
        );
        await writer.admin.update(OPERATOR, appId, "github", { enabled: false });
        await expectWithin(
          1000,
          async () => (await reader.directory.forApp(appId)).isDisabled("github"),
          true,
        );
      } finally {
        if (otherStore !== env.store) await otherStore.close();
      }
    });
  });
}

/** Polls `read` until it returns `expected`, failing after `ms`. */
async function expectWithin<T>(ms: number, read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value === expected) return;
    if (Date.now() > deadline) expect(value).toBe(expected);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every stored byte: the SQLite files, or every PostgreSQL table as JSON. */
async function storedBytes(store: Store, url: string): Promise<string> {
  if (store.engine === "sqlite") {
    const names = (await readdir(dirname(url))).filter((name) => name.startsWith(basename(url)));
    const chunks = await Promise.all(names.map((name) => readFile(join(dirname(url), name))));
    return Buffer.concat(chunks).toString("latin1");
  }
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(store.db);
  let dump = "";
  for (const { table_name: name } of tables.rows) {
    const rows = await sql<{
      row: string;
    }>`select row_to_json(t)::text as row from ${sql.table(name)} t`.execute(store.db);
    dump += rows.rows.map((row) => row.row).join("\n");
  }
  return dump;
}
