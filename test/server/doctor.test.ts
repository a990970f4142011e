import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AuditLog,
  type Check,
  ConfigEvents,
  Keyring,
  KeyringHolder,
  loadKeyring,
  OPERATOR,
  ProviderAdmin,
  Store,
  systemClock,
} from "../../packages/server/src/testing.js";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { runServerCli } from "../harness/server-process.js";

/** `grantvault-server doctor`, run as operators run it: the real CLI in its own process. */

let cwd: string;
let dataDir: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-doctor-"));
  dataDir = join(cwd, "data");
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

async function doctorJson(env: Record<string, string> = {}) {
  const run = await runServerCli(["doctor", "--json"], {
    cwd,
    env: { GRANTVAULT_DATA_DIR: dataDir, ...env },
  });
  return { code: run.code, report: JSON.parse(run.stdout) as { ok: boolean; checks: Check[] } };
}

const failed = (checks: Check[]) => checks.filter((check) => !check.ok).map((check) => check.name);

describe("grantvault-server doctor", () => {
  it("on an empty data directory: says the database and the key ring are missing, changes nothing, exits 1", async () => {
    const { code, report } = await doctorJson();
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(failed(report.checks)).toStrictEqual(["database", "key ring"]);
    const database = report.checks.find((check) => check.name === "database");
    expect(database?.fix).toContain("grantvault-server migrate");
    // Nothing created: doctor only looks.
    await expect(stat(dataDir)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(
      runServerCli(["doctor"], { cwd, env: { GRANTVAULT_DATA_DIR: dataDir } }),
    ).resolves.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(
        /^FAIL {2}database: no database at .*\n {6}fix: run `grantvault-server migrate`/m,
      ),
    });
  });

  it("passes once migrated, and fails again on a key file others can read, naming the chmod", async () => {
    const migrated = await runServerCli(["migrate"], { cwd, env: { GRANTVAULT_DATA_DIR: dataDir } });
    expect(migrated.code, migrated.stderr).toBe(0);
    const healthy = await doctorJson();
    expect(healthy.report.checks.map((check) => [check.name, check.ok])).toStrictEqual([
      ["configuration", true],
      ["data directory", true],
      ["database", true],
      ["key ring", true],
      ["providers", true],
      ["stored providers", true],
    ]);
    expect(healthy.code).toBe(0);

    await chmod(join(dataDir, "master.key"), 0o644);
    const exposed = await doctorJson();
    expect(exposed.code).toBe(1);
    expect(failed(exposed.report.checks)).toStrictEqual(["key ring"]);
    expect(exposed.report.checks.find((check) => check.name === "key ring")?.detail).toContain(
      `run: chmod 600 ${join(dataDir, "master.key")}`,
    );
  });

  it("reports every bad setting as a failed configuration check", async () => {
    const { code, report } = await doctorJson({ GRANTVAULT_PORT: "x", GRANTVAULT_METRICS_TOKEN: "short" });
    expect(code).toBe(1);
    expect(report.checks).toStrictEqual([
      {
        name: "configuration",
        ok: false,
        detail: "GRANTVAULT_PORT: must be a number; GRANTVAULT_METRICS_TOKEN: must be at least 16 characters",
        fix: expect.any(String),
      },
    ]);
  });

  describe("providers", () => {
    let oauth: OAuthProvider;
    beforeEach(async () => {
      oauth = await startOAuthProvider({ clients: [] });
      expect((await runServerCli(["migrate"], { cwd, env: { GRANTVAULT_DATA_DIR: dataDir } })).code).toBe(0);
    });
    afterEach(() => oauth.stop());

    it("checks each OpenID issuer's discovery document: reachable, or what is wrong", async () => {
      const file = join(cwd, "providers.json");
      await writeFile(
        file,
        JSON.stringify([
          { id: "idp", type: "oidc", issuer: oauth.issuer, clientId: "a", clientSecret: "s3cret-value" },
          {
            id: "gone",
            type: "oidc",
            issuer: "http://127.0.0.1:1",
            clientId: "b",
            clientSecret: "s3cret-value",
          },
          { id: "github", catalog: "github", clientId: "Iv1.abc", clientSecret: "s3cret-value" },
        ]),
        { mode: 0o600 },
      );
      const run = await runServerCli(["doctor", "--json"], {
        cwd,
        env: { GRANTVAULT_DATA_DIR: dataDir, GRANTVAULT_PROVIDERS_FILE: file },
      });
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain("s3cret-value");
      const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
      const providers = checks.filter((check) => check.name === "providers");
      expect(providers).toStrictEqual([
        { name: "providers", ok: true, detail: `${file}: 3 provider(s), 0 identity provider(s)` },
        { name: "providers", ok: true, detail: `provider idp: ${oauth.issuer} discovery reachable` },
        {
          name: "providers",
          ok: false,
          detail: expect.stringMatching(/^provider gone: http:\/\/127\.0\.0\.1:1 discovery unreachable/),
          fix: expect.stringContaining("check the issuer URL"),
        },
      ]);

      await chmod(file, 0o644);
      const exposed = await doctorJson({ GRANTVAULT_PROVIDERS_FILE: file });
      expect(exposed.report.checks.find((check) => check.name === "providers")).toMatchObject({
        ok: false,
        detail: expect.stringContaining(`run: chmod 600 ${file}`),
      });
    });

    it("issue 15: checks the apps' stored providers: secrets that open, issuers that answer", async () => {
      const created = await runServerCli(["apps", "create", "--name", "shop", "--json"], {
        cwd,
        env: { GRANTVAULT_DATA_DIR: dataDir },
      });
      expect(created.code, created.stderr).toBe(0);
      const { app_id: appId } = JSON.parse(created.stdout) as { app_id: string };
      const store = await Store.open(join(dataDir, "grantvault.db"));
      try {
        const { keyring } = await loadKeyring({ envValue: undefined, dataDir, mayCreateFile: false });
        const keys = new KeyringHolder(keyring, { kind: "env" });
        const admin = new ProviderAdmin({
          store,
          keys,
          audit: new AuditLog(store, systemClock, keys),
          events: new ConfigEvents(undefined),
          clock: systemClock,
          publicUrl: "http://127.0.0.1:7400",
        });
        const document = { type: "oidc", issuer: oauth.issuer, clientId: "a", clientSecret: "s3cret-value" };
        await admin.create(OPERATOR, appId, { ...document, id: "idp" });
        await admin.create(OPERATOR, appId, { ...document, id: "lost" });
        // Sealed under a key the ring does not hold (dropped too early, say).
        const stranger = new Keyring([{ id: "gone", key: randomBytes(32) }]);
        await store.db
          .updateTable("providers")
          .set({ client_secret: stranger.seal("s3cret-value", "x") })
          .where("provider_id", "=", "lost")
          .execute();
      } finally {
        await store.close();
      }
      const run = await runServerCli(["doctor", "--json"], { cwd, env: { GRANTVAULT_DATA_DIR: dataDir } });
      expect(run.code).toBe(1);
      expect(run.stdout).not.toContain("s3cret-value");
      const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
      expect(checks.filter((check) => check.name === "stored providers")).toStrictEqual([
        { name: "stored providers", ok: true, detail: "2 provider(s) of apps in the database" },
        {
          name: "stored providers",
          ok: false,
          detail: expect.stringMatching(
            new RegExp(`^app shop \\(${appId}\\), provider lost: cannot be used`),
          ),
          fix: expect.stringContaining("providers update"),
        },
        {
          name: "stored providers",
          ok: true,
          detail: `app shop (${appId}), provider idp: ${oauth.issuer} discovery reachable`,
        },
      ]);
    });
  });
});
