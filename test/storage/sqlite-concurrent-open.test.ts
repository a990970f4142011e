import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { migrationProvider, Store } from "../../packages/server/src/testing.js";

it("several stores opening a fresh SQLite file at once all end up migrated", async () => {
  const dir = await mkdtemp(join(tmpdir(), "gv-race-"));
  try {
    const file = join(dir, "vault.db");
    const stores = await Promise.all([1, 2, 3, 4].map(() => Store.open(file)));
    const applied = stores.flatMap((store) => store.appliedOnOpen);
    // Each migration ran exactly once, whichever store won the race.
    expect(applied.sort()).toStrictEqual(Object.keys(await migrationProvider.getMigrations()).sort());
    for (const store of stores) expect(await store.apps.count()).toBe(0);
    await Promise.all(stores.map((store) => store.close()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
