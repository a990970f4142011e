import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runServerCli, startServerProcess } from "../harness/server-process.js";

/**
 * Issue 15: the providers file is an idempotent import into the database, applied at every start
 * for compatibility — its providers and its `identity` entries alike, secrets sealed at rest.
 */

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-import-"));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

const PROVIDER_SECRET = "file-github-secret-3c4d5e6f";
const IDENTITY_SECRET = "file-identity-secret-7a8b9c0d";

async function json(args: string[]) {
  const run = await runServerCli([...args, "--json"], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

describe("the providers file at start", () => {
  it("imports providers and identity providers into the app once; a second start changes nothing", async () => {
    await runServerCli(["migrate"], { cwd });
    const app = await json(["apps", "create", "--name", "billing"]);
    await writeFile(
      join(cwd, "providers.json"),
      JSON.stringify({
        providers: [{ id: "github", catalog: "github", clientId: "gh", clientSecret: PROVIDER_SECRET }],
        identity: [
          {
            app: app.app_id,
            issuer: "https://sso.example.com",
            clientId: "billing-sign-in",
            clientSecret: IDENTITY_SECRET,
          },
        ],
      }),
      { mode: 0o600 },
    );
    const identities: { updated_at: string }[] = [];
    for (const start of [1, 2]) {
      const server = await startServerProcess({ cwd, args: ["--providers", "providers.json"] });
      try {
        expect(server.stdout()).toContain(
          start === 1
            ? "providers file: imported into every app (1 created, 0 updated, 0 unchanged)"
            : "providers file: imported into every app (0 created, 0 updated, 1 unchanged)",
        );
      } finally {
        expect(await server.stop()).toBe(0);
      }
      identities.push(await json(["identity-provider", "show", "--app", "billing"]));
    }
    const [identity, again] = identities;
    // The second start found it equal and left it alone.
    expect(again).toEqual(identity);
    expect(identity).toMatchObject({
      app_id: app.app_id,
      enabled: true,
      document: { issuer: "https://sso.example.com", clientId: "billing-sign-in" },
    });
    expect((await json(["providers", "list"])).map((p: { provider_id: string }) => p.provider_id)).toEqual([
      "github",
    ]);
    // Sealed at rest; the app's chain, with the import's events, verifies.
    const database = await readFile(join(cwd, ".grantvault", "grantvault.db"));
    for (const secret of [PROVIDER_SECRET, IDENTITY_SECRET]) expect(database.includes(secret)).toBe(false);
    expect((await json(["audit", "verify"])).ok).toBe(true);
  });

  it("takes a client secret from standard input, never from the command line", async () => {
    await runServerCli(["migrate"], { cwd });
    await json(["apps", "create", "--name", "solo"]);
    const document = JSON.stringify({ issuer: "https://sso.example.com", clientId: "solo-sign-in" });
    const set = await runServerCli(
      ["identity-provider", "set", "--document", document, "--client-secret-stdin", "--json"],
      { cwd, input: `${IDENTITY_SECRET}\n` },
    );
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout + set.stderr).not.toContain(IDENTITY_SECRET);
    expect(JSON.parse(set.stdout).document).toEqual({
      issuer: "https://sso.example.com",
      clientId: "solo-sign-in",
    });
    // The same secret again (with --client-secret-env this time) is no change: stored as read, newline stripped.
    const again = await runServerCli(
      ["identity-provider", "set", "--document", document, "--client-secret-env", "SSO_SECRET", "--json"],
      { cwd, env: { SSO_SECRET: IDENTITY_SECRET } },
    );
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).updated_at).toBe(JSON.parse(set.stdout).updated_at);
    const empty = await runServerCli(
      [
        "providers",
        "create",
        "--document",
        '{"id":"github","catalog":"github","clientId":"gh"}',
        "--client-secret-stdin",
      ],
      { cwd, input: "" },
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("nothing was read from standard input");
  });
});
