import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  beginFileRotation,
  CredentialStore,
  createLogger,
  hashOf,
  loadConfig,
  openRuntime,
  systemClock,
} from "../../packages/server/src/testing.js";
import { runCliInProcess } from "../harness/cli-in-process.js";

let dataDir: string;
let env: Record<string, string>;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gv-cli-"));
  env = { GRANTVAULT_DATA_DIR: dataDir };
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

function run(...argv: string[]) {
  return runCliInProcess(argv, env);
}

async function runJson(...argv: string[]) {
  const result = await run(...argv, "--json");
  expect(result.code, result.err).toBe(0);
  expect(result.err).not.toContain('"error"');
  return JSON.parse(result.out);
}

describe("grantvault-server apps and keys", () => {
  it("creates an app and prints its key once, as JSON", async () => {
    const created = await runJson("apps", "create", "--name", "billing");
    expect(created).toMatchObject({ app_id: expect.stringMatching(/^app_/), name: "billing" });
    expect(created.api_key).toMatch(/^gv_live_/);
    const listed = await runJson("apps", "list");
    expect(listed).toStrictEqual([
      {
        app_id: created.app_id,
        name: "billing",
        enabled: true,
        created_at: expect.any(String),
        allowed_origins: [],
        user_grants_need_user_token: true,
      },
    ]);
    // Web flows: the operator allows an origin (by app name), and can take it back.
    expect(await runJson("apps", "allow-origin", "billing", "https://billing.example.com")).toStrictEqual({
      app_id: created.app_id,
      allowed_origins: ["https://billing.example.com"],
    });
    expect(
      await runJson("apps", "disallow-origin", created.app_id, "https://billing.example.com"),
    ).toStrictEqual({ app_id: created.app_id, allowed_origins: [] });
    const notAnOrigin = await run("apps", "allow-origin", "billing", "https://billing.example.com/app");
    expect(notAnOrigin.code).toBe(2);
    expect(notAnOrigin.err).toContain("bare origin");
    // The key appears nowhere after creation: not in listings, not in the database.
    const keys = await run("keys", "list", "--app", created.app_id);
    expect(keys.out).not.toContain(created.api_key);
    expect(keys.out).toContain(created.api_key.slice(0, 16));
    expect((await readFile(join(dataDir, "grantvault.db"))).includes(created.api_key)).toBe(false);
  });

  it("creates, lists and revokes keys", async () => {
    const app = await runJson("apps", "create", "--name", "a");
    const key = await runJson("keys", "create", "--app", app.app_id, "--name", "deploy");
    expect(key.app_id).toBe(app.app_id);
    const revoked = await runJson("keys", "revoke", key.api_key_id);
    expect(revoked).toStrictEqual({ api_key_id: key.api_key_id, revoked: true, already_revoked: false });
    expect((await runJson("keys", "revoke", key.api_key_id)).already_revoked).toBe(true);
    const listed = await runJson("keys", "list");
    const entry = listed.find((row: { api_key_id: string }) => row.api_key_id === key.api_key_id);
    expect(entry.revoked_at).toEqual(expect.any(String));
  });

  it("F6: lets an app use its user-bound grants without the user's token and takes that back, audited", async () => {
    const app = await runJson("apps", "create", "--name", "portal");
    expect(await runJson("apps", "allow-grant-use-without-user", "portal")).toStrictEqual({
      app_id: app.app_id,
      user_grants_need_user_token: false,
      changed: true,
    });
    expect((await runJson("apps", "allow-grant-use-without-user", app.app_id)).changed).toBe(false);
    const back = await run("apps", "require-user-token", "portal");
    expect(back.code, back.err).toBe(0);
    expect(back.out).toContain("usable only with that user's token");
    for (const usage of [
      ["apps", "require-user-token"],
      ["apps", "allow-grant-use-without-user", "nope"],
    ]) {
      const mistaken = await run(...usage);
      expect(mistaken.code).toBe(2);
      expect(mistaken.err).toMatch(/needs APP|no app nope/);
    }
    const runtime = await openRuntime(loadConfig(env), createLogger("silent"));
    try {
      expect(await runtime.store.apps.userGrantsNeedUserToken(app.app_id)).toBe(true);
      const rows = await runtime.store.audit.list(app.app_id, { type: "app.setting_changed" }, 10);
      expect(rows.map((row) => JSON.parse(row.details ?? "null"))).toStrictEqual([
        { setting: "user_grants_need_user_token", value: true, by: "operator" },
        { setting: "user_grants_need_user_token", value: false, by: "operator" },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it("explains usage mistakes with exit code 2", async () => {
    const noName = await run("apps", "create");
    expect(noName.code).toBe(2);
    expect(noName.err).toContain("--name");
    const unknown = await run("frobnicate");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command "frobnicate"');
    const badFlag = await run("apps", "list", "--colour");
    expect(badFlag.code).toBe(2);
    const missingApp = await run("keys", "create", "--app", "app_000000000000000000000000");
    expect(missingApp.code).toBe(2);
    expect(missingApp.err).toContain("no app");
  });

  it("reports every configuration problem at once, naming each variable", async () => {
    env = { ...env, GRANTVAULT_PORT: "99999", GRANTVAULT_PROT: "1", GRANTVAULT_LOG_LEVEL: "loud" };
    const result = await run("apps", "list", "--json");
    expect(result.code).toBe(2);
    const { error } = JSON.parse(result.err);
    expect(error.code).toBe("invalid_config");
    expect(error.message).toContain("GRANTVAULT_PORT");
    expect(error.message).toContain("GRANTVAULT_PROT: unknown variable");
    expect(error.message).toContain("GRANTVAULT_LOG_LEVEL");
  });

  it("prints help", async () => {
    const help = await run("--help");
    expect(help.code).toBe(0);
    expect(help.out).toContain("keys rotate");
    expect(help.out).toContain("GRANTVAULT_DATABASE_URL");
  });

  it("migrates and says so", async () => {
    const first = await runJson("migrate");
    expect(first.newly_applied).toContain("0001-initial");
    expect((await runJson("migrate")).newly_applied).toStrictEqual([]);
  });
});

describe("grantvault-server command-line conventions (issue 14 item 5)", () => {
  it("--version prints the package's version, as JSON with --json", async () => {
    const { version } = JSON.parse(
      await readFile(new URL("../../packages/server/package.json", import.meta.url), "utf8"),
    );
    expect(await run("--version")).toStrictEqual({ code: 0, out: `grantvault-server ${version}\n`, err: "" });
    expect(await runJson("--version")).toStrictEqual({ version });
  });

  it("a command's --help (or `help COMMAND`) shows only that command's usage and options", async () => {
    for (const argv of [
      ["keys", "create", "--help"],
      ["help", "keys", "create"],
    ]) {
      const help = await run(...argv);
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: grantvault-server keys create \[options\]\n/);
      expect(help.out).toContain("--proxy-only");
      expect(help.out).toContain("--scopes LIST");
      expect(help.out).not.toContain("apps allow-origin");
      expect(help.out).not.toContain("--checkpoints");
    }
    const serve = await run("serve", "--help");
    expect(serve.out).toMatch(/^Usage: grantvault-server serve \[options\]\n/);
    expect(serve.out).toContain("--data-dir VALUE");
    expect(serve.out).not.toContain("keys rotate");
    const keys = await run("keys", "--help");
    expect(keys.out).toContain("keys rotate");
    expect(keys.out).not.toContain("apps create");
  });

  it("booleans are flags (--demo, --no-demo, --demo=false); `--demo false` and stray arguments are refused", async () => {
    // The demo provider is refused off loopback, so whether it is on shows in the answer.
    env = { ...env, GRANTVAULT_HOST: "192.0.2.10" };
    for (const off of ["--no-demo", "--demo=false"]) {
      const migrated = await run("migrate", off, "--json");
      expect(migrated.code, `${off}: ${migrated.err}`).toBe(0);
    }
    env = { ...env, GRANTVAULT_DEMO: "true" };
    expect((await run("migrate", "--no-demo")).code).toBe(0);
    for (const on of ["--demo", "--demo=true"]) {
      const refused = await run("migrate", on);
      expect(refused.code).toBe(2);
      expect(refused.err).toContain("--demo: the demo provider lets anyone sign in");
    }
    for (const argv of [
      ["--demo", "false"],
      ["serve", "--demo", "false"],
    ]) {
      const stray = await run(...argv);
      expect(stray.code).toBe(2);
      expect(stray.err).toContain('unexpected argument "false": --demo is a flag');
    }
    const serveExtra = await run("serve", "now");
    expect(serveExtra.code).toBe(2);
    expect(serveExtra.err).toContain('unexpected argument "now": serve takes no arguments');
    const revokeExtra = await run("keys", "revoke", "key_0123456789abcdef01234567", "extra");
    expect(revokeExtra.err).toContain('unexpected argument "extra": keys revoke takes KEY_ID only');
    // Help lists booleans without a value.
    const help = await run("--help");
    expect(help.out).toMatch(/\n {2}--demo {2,}Also run/);
    expect(help.out).not.toContain("--demo VALUE");
  });

  it("answers unknown commands and options in its own words, with a suggestion", async () => {
    const command = await run("migrat");
    expect(command.code).toBe(2);
    expect(command.err).toBe(
      'grantvault-server: unknown command "migrat". Did you mean "migrate"?\nRun `grantvault-server --help` for usage.\n',
    );
    expect((await run("keys", "creat")).err).toContain(
      'unknown keys subcommand "creat". Did you mean "keys create"?',
    );
    const option = await run("serve", "--data-dri", dataDir);
    expect(option.code).toBe(2);
    expect(option.err).toBe(
      "grantvault-server: unknown option --data-dri. Did you mean --data-dir?\nRun `grantvault-server serve --help` for usage.\n",
    );
    expect((await run("apps", "list", "--scopes", "admin")).err).toContain(
      "apps list has no option --scopes",
    );
  });

  it("--json makes usage errors JSON on stderr, exit 2", async () => {
    for (const argv of [
      ["migrat", "--json"],
      ["apps", "list", "--colour", "--json"],
      ["keys", "revoke", "--json"],
      ["apps", "create", "--json"],
    ]) {
      const result = await run(...argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expect(result.out).toBe("");
      // The last line: a first run also warns (as a JSON log line) that it created the key file.
      const last = result.err.trim().split("\n").at(-1) ?? "";
      expect(JSON.parse(last)).toStrictEqual({ error: { code: "usage", message: expect.any(String) } });
    }
  });

  it("says an API key id or app id is malformed and what one looks like, without echoing it", async () => {
    const { api_key: apiKey } = await runJson("apps", "create", "--name", "ids");
    const revoke = await run("keys", "revoke", "not-a-key");
    expect(revoke.code).toBe(2);
    expect(revoke.err).toContain(
      'KEY_ID: not an API key id: got 9 character(s) that do not start with "key_"',
    );
    expect(revoke.err).toContain('an API key id is "key_" and 24 lowercase hex digits');
    const pasted = await run("keys", "revoke", apiKey);
    expect(pasted.code).toBe(2);
    expect(pasted.err).toContain("got what looks like an API key (gv_live_…)");
    expect(pasted.err).not.toContain(apiKey);
    // --app takes a name or an id (issue 14 item 2): an unknown one lists the apps there are.
    const app = await run("keys", "create", "--app", "billing");
    expect(app.code).toBe(2);
    expect(app.err).toContain('--app: there is no app named or with the id "billing" (apps: ');
  });
});

describe("grantvault-server keys rotate (key file)", () => {
  it("adds a primary key, moves every secret to it, then lets the old key be dropped", async () => {
    // Store secrets under the first key.
    const config = loadConfig(env);
    const runtime = await openRuntime(config, createLogger("silent"));
    const firstKeyId = runtime.keyring.primaryId;
    const app = "app_rot";
    await runtime.store.apps.insert({ id: app, name: "rot", createdAt: Date.now() });
    const credentials = new CredentialStore(runtime.store, runtime.keys, systemClock);
    const secrets = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const grantId = `grant_${i}`;
      await runtime.store.grants.insert({
        id: grantId,
        appId: app,
        providerId: "github",
        accountIdentifier: `user${i}`,
        scopes: [],
        status: "active",
        expiresAt: null,
        lastUsedAt: null,
        createdAt: 1,
        updatedAt: 1,
        grantPolicy: null,
        statusReason: null,
        accountSubject: null,
        userSubject: null,
      });
      const token = `tok-${randomBytes(8).toString("hex")}`;
      secrets.set(grantId, token);
      await credentials.save(grantId, { accessToken: token });
    }
    await runtime.close();

    const dropTooEarly = await run("keys", "drop", firstKeyId);
    expect(dropTooEarly.code).toBe(2);

    const rotated = await runJson("keys", "rotate");
    expect(rotated.reencrypted).toBe(5);
    expect(rotated.added_key_id).not.toBe(firstKeyId);
    expect(rotated.secrets_by_key).toStrictEqual({ [rotated.added_key_id]: 5 });
    expect(rotated.droppable_key_ids).toStrictEqual([firstKeyId]);
    expect((await stat(join(dataDir, "master.key"))).mode & 0o777).toBe(0o600);

    expect((await runJson("keys", "drop", firstKeyId)).dropped_key_id).toBe(firstKeyId);
    const status = await runJson("keys", "status");
    expect(status.key_ids).toStrictEqual([rotated.added_key_id]);

    // Everything still opens with only the new key.
    const after = await openRuntime(config, createLogger("silent"));
    const reader = new CredentialStore(after.store, after.keys, systemClock);
    for (const [grantId, token] of secrets) expect((await reader.load(grantId))?.accessToken).toBe(token);
    await after.close();
  });

  it("item 13: rotates twice on a vault with past connect sessions, and a retried rotation adds no key", async () => {
    const runtime = await openRuntime(loadConfig(env), createLogger("silent"));
    const firstKeyId = runtime.keyring.primaryId;
    await runtime.store.apps.insert({ id: "app_cs", name: "cs", createdAt: Date.now() });
    // A connect session never holds a user token: its sealed column is NULL.
    await runtime.store.connectSessions.insert(
      {
        id: "cs_1",
        appId: "app_cs",
        confirmationCode: "ABCD-EFGH",
        status: "pending",
        allowedProviders: ["github"],
        grantPolicy: null,
        results: null,
        userInfo: null,
        error: null,
        createdAt: Date.now(),
        expiresAt: Date.now() + 60_000,
        updatedAt: Date.now(),
        kind: "connect",
        allowedOrigin: null,
        returnUrl: null,
        requiredScopes: null,
        metadata: null,
        userSubject: null,
      },
      randomBytes(32).toString("hex"),
    );
    await runtime.close();

    const status = await runJson("keys", "status");
    expect(status.secrets_by_key).toStrictEqual({});
    const first = await runJson("keys", "rotate");
    expect(first).toMatchObject({ reencrypted: 0, resumed_key_id: null, droppable_key_ids: [firstKeyId] });
    const second = await runJson("keys", "rotate");
    expect(second.added_key_id).not.toBe(first.added_key_id);
    expect((await runJson("keys", "status")).key_ids).toStrictEqual([
      second.added_key_id,
      first.added_key_id,
      firstKeyId,
    ]);
    expect((await runJson("keys", "drop", firstKeyId)).dropped_key_id).toBe(firstKeyId);

    // A run that died after adding its key (as the crash above did) is finished, not repeated.
    const keyFile = join(dataDir, "master.key");
    const interrupted = await beginFileRotation(keyFile);
    const retried = await runJson("keys", "rotate");
    expect(retried).toMatchObject({ added_key_id: null, resumed_key_id: interrupted.primaryId });
    const again = await runJson("keys", "rotate");
    expect(again.added_key_id).not.toBeNull();
    expect((await runJson("keys", "status")).key_ids).toStrictEqual([
      again.added_key_id,
      interrupted.primaryId,
      second.added_key_id,
      first.added_key_id,
    ]);
  });

  it("generates key entries for GRANTVAULT_MASTER_KEY", async () => {
    const generated = await runJson("keys", "generate");
    expect(generated.entry).toMatch(/^k\d{8}-[0-9a-f]{4}:[A-Za-z0-9+/]{43}=$/);
    env = { ...env, GRANTVAULT_MASTER_KEY: generated.entry };
    // `keys status` reads an existing vault only: `migrate` sets one up with that key.
    await runJson("migrate");
    const status = await runJson("keys", "status");
    expect(status).toMatchObject({ source: "env", primary_key_id: generated.key_id });
  });
});

describe("grantvault-server audit (F8)", () => {
  /** Runs `work` on the data directory's database, as someone with write access to it would. */
  async function tamper(
    work: (db: Awaited<ReturnType<typeof openRuntime>>["store"]["db"]) => Promise<unknown>,
  ) {
    const runtime = await openRuntime(loadConfig(env), createLogger("silent"));
    try {
      await work(runtime.store.db);
    } finally {
      await runtime.close();
    }
  }

  it("F8: `audit checkpoints` exports signed tips; `audit verify --checkpoints` finds deleted newest events and deleted chains", async () => {
    const app = await runJson("apps", "create", "--name", "audited");
    await runJson("keys", "create", "--app", app.app_id);
    const file = join(dataDir, "checkpoints.jsonl");

    const printed = await run("audit", "checkpoints");
    expect(printed.code, printed.err).toBe(0);
    const [line] = printed.out.trim().split("\n");
    expect(JSON.parse(line as string)).toMatchObject({
      app_id: app.app_id,
      seq: 3,
      mac_key_id: expect.any(String),
    });
    expect((await run("audit", "checkpoints", "--out", file)).out).toContain("Appended 1 checkpoint(s)");
    expect(await runJson("audit", "checkpoints", "--out", file)).toMatchObject({ appended_to: file });
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(2);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await runJson("audit", "verify", "--checkpoints", file)).toMatchObject({
      ok: true,
      checked: 3,
      legacy: 0,
      checkpoints: 3,
    });

    // The newest event deleted, and the checkpoints in the database with it.
    await tamper(async (db) => {
      await db.deleteFrom("audit_events").where("seq", "=", 3).execute();
      await db.deleteFrom("audit_checkpoints").execute();
    });
    expect((await run("audit", "verify")).code).toBe(0);
    const truncated = await run("audit", "verify", "--checkpoints", file, "--json");
    expect(truncated.code).toBe(1);
    // The next scheduled export refuses to sign the shortened chain.
    expect((await run("audit", "checkpoints", "--out", file)).code).toBe(1);
    expect((await readFile(file, "utf8")).trim().split("\n")).toHaveLength(2);
    expect(JSON.parse(truncated.out).problems).toContainEqual(
      expect.objectContaining({
        appId: app.app_id,
        seq: 3,
        problem: expect.stringContaining("newest events deleted"),
      }),
    );

    // The whole chain deleted: the app's own row says so, and the export does without it.
    await tamper((db) => db.deleteFrom("audit_events").execute());
    expect((await run("audit", "verify")).out).toContain("the app has no audit events");
    await tamper(async (db) => {
      await db.deleteFrom("api_keys").execute();
      await db.deleteFrom("apps").execute();
    });
    expect((await run("audit", "verify")).code).toBe(0);
    const gone = await run("audit", "verify", "--checkpoints", file);
    expect(gone.code).toBe(1);
    expect(gone.out).toContain("the whole chain is missing");

    // A file that is not checkpoints is a usage error, not a verdict.
    await writeFile(file, "not json\n");
    const malformed = await run("audit", "verify", "--checkpoints", file);
    expect(malformed.code).toBe(2);
    expect(malformed.err).toContain("checkpoints.jsonl:1 is not an audit checkpoint");
  });

  it("F8: a row rewritten and re-hashed with plain SHA-256 fails `audit verify`", async () => {
    const app = await runJson("apps", "create", "--name", "rewritten");
    await tamper(async (db) => {
      const row = await db
        .selectFrom("audit_events")
        .selectAll()
        .where("seq", "=", 1)
        .executeTakeFirstOrThrow();
      const { hash: _hash, mac: _mac, mac_key_id: _keyId, ...fields } = row;
      const rewritten = { ...fields, details: JSON.stringify({ scopes: ["everything"] }) };
      await db
        .updateTable("audit_events")
        .set({ details: rewritten.details, hash: hashOf(rewritten) })
        .where("app_id", "=", app.app_id)
        .where("seq", "=", 1)
        .execute();
    });
    const verified = await run("audit", "verify");
    expect(verified.code).toBe(1);
    expect(verified.out).toContain("its MAC does not match");
    // Nor does a routine checkpoint vouch for it.
    const signed = await run("audit", "checkpoints");
    expect(signed).toMatchObject({ code: 1, out: "" });
    expect(signed.err).toContain("not signed");
  });

  it("F8: `keys rotate` re-MACs the chain, so it verifies, old exports too, once the old key is dropped", async () => {
    await runJson("apps", "create", "--name", "rotated");
    const file = join(dataDir, "checkpoints.jsonl");
    await run("audit", "checkpoints", "--out", file);
    const firstKeyId = (await runJson("keys", "status")).primary_key_id;
    const rotated = await runJson("keys", "rotate");
    expect(rotated).toMatchObject({ audit_remaced: 3, droppable_key_ids: [firstKeyId] });
    expect(rotated.audit_macs_by_key).toStrictEqual({ [rotated.added_key_id]: 3 });
    await runJson("keys", "drop", firstKeyId);
    expect(await runJson("audit", "verify", "--checkpoints", file)).toMatchObject({
      ok: true,
      checkpoints: 2,
    });
  });
});
