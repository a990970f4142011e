import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialStore,
  DecryptionError,
  KEY_FILE_NAME,
  KeyringHolder,
  loadKeyring,
  Store,
  writeKeyFile,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  grantRecord,
  holder,
  masterKey,
  type OpenedDatabase,
  tokensFor,
  useContractStore,
} from "./storage-fixtures.js";

/** Storage on one engine: a running server picks up a key file rotated by another process. */
export function keyFileContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`storage on ${engine}`, () => {
    const env = useContractStore(open);
    const { clock, newApp } = env;

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
        const server = new CredentialStore(env.store, keys, clock);

        const appId = await newApp();
        const before = grantRecord(appId);
        const after = grantRecord(appId);
        await env.store.grants.insert(before);
        await env.store.grants.insert(after);
        const beforeTokens = tokensFor("before");
        await server.save(before.id, beforeTokens);
        expect(await server.load(before.id)).toEqual(beforeTokens);

        // The CLI, another process: rotates the key file and seals with the new key.
        await afterTimestampTick(path);
        await writeKeyFile(path, [k2, k1]);
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        const cli = await Store.open(env.database.url);
        const afterTokens = tokensFor("after");
        try {
          await new CredentialStore(cli, holder(k2, k1), clock).save(after.id, afterTokens);
        } finally {
          await cli.close();
        }
        expect((await env.store.credentials.get(after.id))?.startsWith("gv1:k2:")).toBe(true);

        // Within the check interval the server still has the old ring ...
        now += 500;
        await expect(server.load(after.id)).rejects.toBeInstanceOf(DecryptionError);
        // ... and after it, the new one: it opens k2 values and seals new ones under k2.
        now += 600;
        expect(await server.load(after.id)).toEqual(afterTokens);
        expect(await server.load(before.id)).toEqual(beforeTokens);
        expect((await keys.current()).primaryId).toBe("k2");
        await server.save(before.id, beforeTokens);
        expect((await env.store.credentials.get(before.id))?.startsWith("gv1:k2:")).toBe(true);
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
          env.store,
          new KeyringHolder(loaded.keyring, loaded.source, () => now),
          clock,
        );

        const grant = grantRecord(await newApp());
        await env.store.grants.insert(grant);
        const tokens = tokensFor("idle");
        await new CredentialStore(env.store, holder(k1), clock).save(grant.id, tokens);

        // Meanwhile `keys rotate` rewrites the key file and re-encrypts everything under k2.
        await afterTimestampTick(path);
        await writeKeyFile(path, [k2, k1]);
        await new CredentialStore(env.store, holder(k2, k1), clock).save(grant.id, tokens);
        expect((await env.store.credentials.get(grant.id))?.startsWith("gv1:k2:")).toBe(true);

        now += 1_100;
        expect(await server.load(grant.id)).toEqual(tokens);
      });
    });
  });
}
