import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store, startCheckpointer } from "../../packages/server/src/testing.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gv-checkpoints-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function pragma(store: Store, name: string): Promise<unknown> {
  const { rows } = await sql.raw(`pragma ${name}`).execute(store.db);
  return Object.values(rows[0] as Record<string, unknown>)[0];
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("SQLite checkpoints on a worker thread", () => {
  it("the server's connection never checkpoints; the worker writes the whole log back", async () => {
    const store = await Store.open(join(dir, "vault.db"), { backgroundCheckpoints: true });
    try {
      expect(await pragma(store, "wal_autocheckpoint")).toBe(0);
      for (let index = 0; index < 50; index++)
        await store.apps.insert({ id: `app_${index}`, name: "a", createdAt: 1, allowedOrigins: [] });
      // Every frame of the log, including the 50 inserts, reaches the database file.
      await until(() => {
        const last = store.checkpointer?.last;
        return last !== null && last !== undefined && last.log > 0 && last.checkpointed === last.log;
      }, "a full checkpoint");
      expect(await store.apps.count()).toBe(50);
    } finally {
      await store.close();
    }
  });

  it("a store opened without them (a CLI command) keeps SQLite's automatic checkpoints", async () => {
    const store = await Store.open(join(dir, "vault.db"));
    try {
      expect(store.checkpointer).toBeUndefined();
      expect(await pragma(store, "wal_autocheckpoint")).toBe(1000);
    } finally {
      await store.close();
    }
  });

  it("reports a worker that cannot work, once", async () => {
    const failures: string[] = [];
    const checkpointer = startCheckpointer(join(dir, "missing", "dir", "vault.db"), (reason) =>
      failures.push(reason),
    );
    await until(() => failures.length > 0, "the failure");
    await checkpointer.stop();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/unable to open|cannot open|directory does not exist/i);
  });
});
