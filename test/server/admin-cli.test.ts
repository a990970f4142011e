import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliInProcess } from "../harness/cli-in-process.js";

/**
 * The control plane's operator commands (issue 15 item 3): apps, providers and identity providers
 * through the same services as the admin API, on the database in process.
 */

let dataDir: string;
let env: Record<string, string>;
const GITHUB_SECRET = "cli-github-secret-1a2b3c4d";
const OCTO_SECRET = "cli-octo-secret-5e6f7a8b";
const IDENTITY_SECRET = "cli-identity-secret-9c0d";

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "gv-admin-cli-"));
  env = { GRANTVAULT_DATA_DIR: dataDir, GH_SECRET: GITHUB_SECRET, IDP_SECRET: IDENTITY_SECRET };
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** Everything every command printed, to check no secret ever shows. */
let printed = "";

async function run(...argv: string[]) {
  const result = await runCliInProcess(argv, env);
  printed += result.out + result.err;
  return result;
}

async function runJson(...argv: string[]) {
  const result = await run(...argv, "--json");
  expect(result.code, result.err).toBe(0);
  return JSON.parse(result.out);
}

async function providersFile(entries: unknown[]): Promise<string> {
  const path = join(dataDir, "providers.json");
  await writeFile(path, JSON.stringify({ providers: entries }), { mode: 0o600 });
  return path;
}

const octo = {
  id: "octo",
  type: "oauth2",
  authorizationUrl: "https://octo.example.com/authorize",
  tokenUrl: "https://octo.example.com/token",
  userinfoUrl: "https://api.octo.example.com/user",
  clientId: "octo-client",
  clientSecret: OCTO_SECRET,
};

describe("grantvault-server providers", () => {
  it("imports a providers file idempotently: created, then unchanged, then updated", async () => {
    const app = await runJson("apps", "create", "--name", "solo");
    const github = { id: "github", catalog: "github", clientId: "gh-client", clientSecret: GITHUB_SECRET };
    const file = await providersFile([github, octo]);

    const first = await runJson("providers", "import", file);
    expect(first).toEqual({ app_id: app.app_id, created: ["github", "octo"], updated: [], unchanged: [] });
    const second = await runJson("providers", "import", file, "--app", "solo");
    expect(second).toEqual({ app_id: app.app_id, created: [], updated: [], unchanged: ["github", "octo"] });
    await providersFile([{ ...github, scopes: ["repo"] }, octo]);
    const third = await run("providers", "import", file);
    expect(third.code, third.err).toBe(0);
    expect(third.out).toMatch(/updated: +github/);
    expect(third.out).toMatch(/unchanged: +octo/);

    // With two apps, --app is required, and the error names them.
    await runJson("apps", "create", "--name", "second");
    const ambiguous = await run("providers", "import", file);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toContain("--app");
    expect(ambiguous.err).toContain("solo");
    expect(ambiguous.err).toContain("second");

    const listed = await runJson("providers", "list", "--app", app.app_id);
    expect(listed.map((provider: { provider_id: string }) => provider.provider_id)).toEqual([
      "github",
      "octo",
    ]);
    expect(printed).not.toContain(GITHUB_SECRET);
    expect(printed).not.toContain(OCTO_SECRET);
  });

  it("creates, shows, updates, disables, enables and deletes a provider, the secret from the environment", async () => {
    await runJson("apps", "create", "--name", "solo");
    const invalid = await run(
      "providers",
      "create",
      "--document",
      '{"id":"Bad","catalog":"nope","clientId":""}',
    );
    expect(invalid.code).toBe(2);
    for (const field of ["id:", "catalog:", "clientId:", "clientSecret:"])
      expect(invalid.err).toContain(field);

    const created = await runJson(
      "providers",
      "create",
      "--document",
      '{"id":"github","catalog":"github","clientId":"gh-client"}',
      "--client-secret-env",
      "GH_SECRET",
    );
    expect(created).toMatchObject({
      provider_id: "github",
      enabled: true,
      document: { id: "github", catalog: "github", clientId: "gh-client" },
    });
    expect(created.redirect_uri).toMatch(/\/v1\/oauth\/callback\/github$/);
    const missingVariable = await run(
      "providers",
      "create",
      "--document",
      "{}",
      "--client-secret-env",
      "NOPE",
    );
    expect(missingVariable.code).toBe(2);
    expect(missingVariable.err).toContain("NOPE");
    // A secret typed into --document would sit in the process list and the shell's history.
    const inline = await run(
      "providers",
      "create",
      "--document",
      '{"id":"gitlab","catalog":"gitlab","clientId":"gl","clientSecret":"typed-in-secret"}',
    );
    expect(inline.code).toBe(2);
    expect(inline.err).toContain("--client-secret-env");
    expect(inline.err).not.toContain("typed-in-secret");

    const docPath = join(dataDir, "patch.json");
    await writeFile(docPath, JSON.stringify({ scopes: ["repo", "read:user"], displayName: "GitHub" }));
    const updated = await runJson("providers", "update", "github", "--file", docPath);
    expect(updated.document).toMatchObject({ scopes: ["repo", "read:user"], displayName: "GitHub" });
    const cleared = await runJson("providers", "update", "github", "--document", '{"scopes":null}');
    expect(cleared.document).not.toHaveProperty("scopes");
    const replaced = await runJson(
      "providers",
      "update",
      "github",
      "--replace",
      "--document",
      '{"catalog":"github","clientId":"gh-client-2"}',
    );
    expect(replaced.document).toEqual({ id: "github", catalog: "github", clientId: "gh-client-2" });

    expect((await runJson("providers", "disable", "github")).enabled).toBe(false);
    const shown = await run("providers", "show", "github");
    expect(shown.out).toContain("disabled");
    expect(shown.out).toContain("gh-client-2");
    expect((await runJson("providers", "enable", "github")).enabled).toBe(true);
    expect(await runJson("providers", "delete", "github")).toMatchObject({
      provider_id: "github",
      deleted: true,
    });
    const gone = await run("providers", "show", "github");
    expect(gone.code).toBe(1);
    expect(await runJson("providers", "list")).toEqual([]);

    expect(printed).not.toContain(GITHUB_SECRET);
    // Sealed at rest too.
    expect((await readFile(join(dataDir, "grantvault.db"))).includes(GITHUB_SECRET)).toBe(false);
  });

  it("sets, shows and deletes an app's identity provider", async () => {
    await runJson("apps", "create", "--name", "solo");
    const set = await runJson(
      "identity-provider",
      "set",
      "--app",
      "solo",
      "--document",
      '{"issuer":"https://idp.example.com","clientId":"solo-sign-in"}',
      "--client-secret-env",
      "IDP_SECRET",
    );
    expect(set).toMatchObject({ enabled: true, document: { issuer: "https://idp.example.com" } });
    expect(set.redirect_uri).toMatch(/\/v1\/auth\/callback$/);
    const shown = await run("identity-provider", "show");
    expect(shown.out).toContain("solo-sign-in");
    expect((await runJson("identity-provider", "delete")).deleted).toBe(true);
    expect((await run("identity-provider", "show")).code).toBe(1);
    expect(printed).not.toContain(IDENTITY_SECRET);
  });
});

describe("grantvault-server apps (control plane)", () => {
  it("shows, updates, disables, enables and deletes an app, each change audited", async () => {
    const created = await runJson(
      "apps",
      "create",
      "--name",
      "shop",
      "--allowed-origin",
      "https://shop.example.com",
    );
    expect((await runJson("apps", "show", "shop")).allowed_origins).toEqual(["https://shop.example.com"]);
    const updated = await runJson(
      "apps",
      "update",
      "shop",
      "--name",
      "shop2",
      "--allowed-origins",
      "https://a.example.com,https://b.example.com",
      "--no-user-grants-need-user-token",
    );
    expect(updated).toMatchObject({
      app_id: created.app_id,
      name: "shop2",
      allowed_origins: ["https://a.example.com", "https://b.example.com"],
      user_grants_need_user_token: false,
    });
    const bad = await run("apps", "update", "shop2", "--allowed-origins", "https://a.example.com/x,nope");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("allowed_origins.0");
    expect(bad.err).toContain("allowed_origins.1");
    expect((await run("apps", "update", "shop2")).code).toBe(2);

    expect((await runJson("apps", "disable", "shop2")).enabled).toBe(false);
    expect((await run("apps", "list")).out).toContain("disabled");
    expect((await runJson("apps", "enable", created.app_id)).enabled).toBe(true);
    const show = await runJson("apps", "show", created.app_id);
    expect(show).toMatchObject({ active_api_keys: 1, providers: [], grants: 0, identity_provider: false });

    expect((await run("apps", "delete", "shop2")).code).toBe(2);
    expect(await runJson("apps", "delete", "shop2", "--yes")).toEqual({
      app_id: created.app_id,
      deleted: true,
    });
    expect(await runJson("apps", "list")).toEqual([]);
    const verified = await runJson("audit", "verify");
    expect(verified.ok).toBe(true);
  });
});
