import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliInProcess } from "../harness/cli-in-process.js";

/** `grantvault-server api-keys …` and `operator-keys …` (issue 15 item 4). */
let dataDir: string;
let env: Record<string, string>;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gv-keys-cli-"));
  env = { GRANTVAULT_DATA_DIR: dataDir };
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

function run(...argv: string[]) {
  return runCliInProcess(argv, env);
}

async function runJson(...argv: string[]) {
  const result = await run(...argv, "--json");
  expect(result.code, result.err).toBe(0);
  return JSON.parse(result.out);
}

describe("grantvault-server api-keys", () => {
  it("creates a scoped, expiring key; shows, updates, disables, enables and deletes it", async () => {
    const app = await runJson("apps", "create", "--name", "shop");
    const before = Date.now();
    const key = await runJson(
      "api-keys",
      "create",
      "--app",
      "shop",
      "--name",
      "web",
      "--scopes",
      "connect,read",
      "--expires-in",
      "30d",
    );
    expect(key).toMatchObject({ app_id: app.app_id, scopes: ["connect", "read"] });
    expect(key.api_key).toMatch(/^gv_live_/);
    const expires = Date.parse(key.expires_at);
    expect(expires - before).toBeGreaterThanOrEqual(30 * 86_400_000);
    expect(expires - before).toBeLessThan(30 * 86_400_000 + 60_000);

    const shown = await runJson("api-keys", "show", key.api_key_id);
    expect(shown).toMatchObject({
      name: "web",
      status: "active",
      scopes: ["connect", "read"],
      created_by: null,
    });
    expect(JSON.stringify(shown)).not.toContain(key.api_key);

    expect(
      await runJson("api-keys", "update", key.api_key_id, "--scopes", "proxy", "--name", "agent"),
    ).toMatchObject({
      name: "agent",
      scopes: ["proxy"],
    });
    expect((await runJson("api-keys", "update", key.api_key_id, "--no-expiry")).expires_at).toBeNull();
    expect((await runJson("api-keys", "disable", key.api_key_id)).status).toBe("disabled");
    expect((await runJson("api-keys", "enable", key.api_key_id)).status).toBe("active");
    expect(await runJson("api-keys", "delete", key.api_key_id)).toStrictEqual({
      api_key_id: key.api_key_id,
      revoked: true,
      already_revoked: false,
    });
    const afterDelete = await run("api-keys", "enable", key.api_key_id);
    expect(afterDelete.code).toBe(1);
    expect(afterDelete.err).toContain("revoked");
    const listed = await runJson("api-keys", "list", "--app", "shop");
    expect(listed.map((row: { status: string }) => row.status).sort()).toStrictEqual(["active", "revoked"]);
    // The older names still work: keys create --proxy-only is now the proxy scope alone.
    expect((await runJson("keys", "create", "--app", "shop", "--proxy-only")).scopes).toStrictEqual([
      "proxy",
    ]);
    // Human output names the status and never the key.
    const table = await run("api-keys", "list");
    expect(table.out).toContain("revoked");
    expect(table.out).not.toContain(key.api_key);
  });

  it("refuses unknown scopes (naming retrieve's new name) and bad durations with exit code 2", async () => {
    await runJson("apps", "create", "--name", "shop");
    const retrieve = await run("api-keys", "create", "--app", "shop", "--scopes", "retrieve");
    expect(retrieve.code).toBe(2);
    expect(retrieve.err).toContain("retrieve is now called use");
    const duration = await run("api-keys", "create", "--app", "shop", "--expires-in", "30x");
    expect(duration.code).toBe(2);
    expect(duration.err).toContain("not a duration");
    const nothing = await run("api-keys", "update", "key_0123456789abcdef01234567");
    expect(nothing.code).toBe(2);
  });
});

describe("grantvault-server operator-keys", () => {
  it("creates a key printed once (stored as a hash only), lists it by prefix, revokes it", async () => {
    await runJson("migrate");
    const created = await runJson("operator-keys", "create", "--name", "ops", "--expires-in", "1h");
    expect(created.operator_key).toMatch(/^gv_op_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: "ops",
      operator_key_id: expect.stringMatching(/^opk_[0-9a-f]{24}$/),
    });
    expect(Date.parse(created.expires_at) - Date.now()).toBeGreaterThan(3_500_000);

    const listed = await run("operator-keys", "list");
    expect(listed.out).toContain(created.prefix);
    expect(listed.out).toContain("active");
    expect(listed.out).not.toContain(created.operator_key);
    expect((await readFile(join(dataDir, "grantvault.db"))).includes(created.operator_key)).toBe(false);

    expect(await runJson("operator-keys", "revoke", created.operator_key_id)).toStrictEqual({
      operator_key_id: created.operator_key_id,
      revoked: true,
      already_revoked: false,
    });
    const [row] = await runJson("operator-keys", "list");
    expect(row.revoked_at).toEqual(expect.any(String));
    const malformed = await run("operator-keys", "revoke", created.operator_key);
    expect(malformed.code).toBe(2);
    expect(malformed.err).not.toContain(created.operator_key);
  });
});
