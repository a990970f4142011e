import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  ApiKeyService,
  CredentialStore,
  DecryptionError,
  hashApiKey,
  Store,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  freshStoreRunner,
  grantRecord,
  hex,
  holder,
  masterKey,
  type OpenedDatabase,
  tamper,
  tokensFor,
  useContractStore,
} from "./storage-fixtures.js";

interface JsonRow {
  row: string;
}

/** Storage on one engine: no secret in plaintext at rest, and sealed credentials that detect tampering. */
export function sealedAtRestContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    const env = useContractStore(open);
    const { clock, newApp } = env;

    const withFreshStore = freshStoreRunner(open);

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
            // ... and after closing (checkpointed into the env.database file).
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
        const credentials = new CredentialStore(env.store, holder(masterKey("k1")), clock);
        const grant = grantRecord(await newApp());
        await env.store.grants.insert(grant);
        const tokens = tokensFor("tamper");
        await credentials.save(grant.id, tokens);
        const sealed = (await env.store.credentials.get(grant.id)) ?? "";
        const tampered = tamper(sealed);
        expect(tampered).not.toBe(sealed);
        expect(tampered).toHaveLength(sealed.length);

        await env.store.db
          .updateTable("credentials")
          .set({ secret: tampered })
          .where("grant_id", "=", grant.id)
          .execute();
        const error = await credentials.load(grant.id).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as Error).message).not.toContain(tokens.accessToken);

        // Restoring the original value makes it readable again: the failure was the tampering.
        await env.store.db
          .updateTable("credentials")
          .set({ secret: sealed })
          .where("grant_id", "=", grant.id)
          .execute();
        expect(await credentials.load(grant.id)).toEqual(tokens);
      });

      it("a ciphertext moved to another grant's row fails to load with DecryptionError", async () => {
        const credentials = new CredentialStore(env.store, holder(masterKey("k1")), clock);
        const appId = await newApp();
        const grantA = grantRecord(appId);
        const grantB = grantRecord(appId);
        await env.store.grants.insert(grantA);
        await env.store.grants.insert(grantB);
        const tokensA = tokensFor("A");
        await credentials.save(grantA.id, tokensA);
        await credentials.save(grantB.id, tokensFor("B"));

        const sealedA = (await env.store.credentials.get(grantA.id)) ?? "";
        await env.store.db
          .updateTable("credentials")
          .set({ secret: sealedA })
          .where("grant_id", "=", grantB.id)
          .execute();
        expect(await env.store.credentials.get(grantB.id)).toBe(sealedA);

        const error = await credentials.load(grantB.id).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as Error).message).not.toContain(tokensA.accessToken);
        expect(await credentials.load(grantA.id)).toEqual(tokensA);
      });
    });
  });
}
