import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import {
  type CliRun,
  runNodeEntry,
  type ServerProcess,
  startServerProcess,
} from "../harness/server-process.js";

/**
 * `grantvault grants …` and `grantvault request …` as processes, against `grantvault-server serve
 * --demo` as a process, with grants made by `grantvault connect` completed in Chromium.
 */
const CLI = fileURLToPath(new URL("../../packages/sdk/dist/cli.js", import.meta.url));
const API_KEY = /export GRANTVAULT_API_KEY=(gv_live_\S+)/;
const UNKNOWN_GRANT = "grant_000000000000000000000000";

let cwd: string;
let server: ServerProcess;
let browser: Browser;
let apiKey: string;
/** Grants of gina@demo.invalid and helen@demo.invalid, connected (at the same time) in `beforeAll`. */
let gina: string;
let helen: string;
/** The two grant ids as `grants list` orders them: newest first (by `created_at`). */
let newestFirst: string[];

/** Runs `grantvault ...args` with the vault's key and URL in the environment (unless `env` overrides them). */
function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runNodeEntry(CLI, args, {
    env: { GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: server.baseUrl, ...env },
  });
}

/** `grantvault connect --provider demo --no-browser --json`, approved in Chromium as `login`; the grant id. */
async function connectAs(login: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, "connect", "--provider", "demo", "--no-browser", "--json"], {
    env: { PATH: process.env.PATH ?? "", GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: server.baseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let user: Promise<unknown> | undefined;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    const url = /(http:\/\/\S+\/connect\/gvcs_\S+)/.exec(stderr)?.[1];
    if (url && !user) {
      user = newPage(browser).then(async (page) => {
        try {
          return await completeConnectFlow(page, url, { provider: "demo", action: "approve", login });
        } finally {
          await page.context().close();
        }
      });
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  await user;
  if (code !== 0) throw new Error(`grantvault connect exited with ${code}\n${stderr}`);
  const [grant] = JSON.parse(stdout) as { grant_id: string }[];
  if (!grant) throw new Error(`grantvault connect printed no grant\n${stdout}`);
  return grant.grant_id;
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-cli-grants-e2e-"));
  [server, browser] = await Promise.all([
    startServerProcess({ cwd, args: ["--demo"], timeoutMs: 30_000 }),
    launchBrowser(),
  ]);
  apiKey = API_KEY.exec(server.stdout())?.[1] ?? "";
  [gina, helen] = await Promise.all([connectAs("gina"), connectAs("helen")]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(cwd, { recursive: true, force: true });
});

describe("grantvault grants and request against `grantvault-server serve --demo`", () => {
  it("grants list prints JSON with the API's keys, newest first, and a table", async () => {
    const json = await runCli(["grants", "list", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { grant_id: string; created_at: string }[];
    newestFirst = listed.map((grant) => grant.grant_id);
    expect([...newestFirst].sort()).toStrictEqual([gina, helen].sort());
    const created = listed.map((grant) => grant.created_at);
    expect(created).toStrictEqual([...created].sort().reverse());
    expect(listed).toStrictEqual(
      newestFirst.map((grantId) => ({
        grant_id: grantId,
        provider_id: "demo",
        account_identifier: grantId === gina ? "gina@demo.invalid" : "helen@demo.invalid",
        scopes: expect.arrayContaining(["openid"]),
        status: "active",
        status_reason: null,
        expires_at: null,
        last_used_at: null,
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      })),
    );

    const table = await runCli(["grants", "list"]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stderr).toBe("");
    const rows = table.stdout.trimEnd().split("\n");
    expect(rows[0]).toMatch(/^GRANT ID\s+PROVIDER\s+ACCOUNT\s+STATUS\s+EXPIRES\s+LAST USED$/);
    expect(rows.slice(1)).toStrictEqual(
      newestFirst.map((grantId) =>
        expect.stringMatching(
          new RegExp(
            `^${grantId}\\s+demo\\s+${grantId === gina ? "gina" : "helen"}@demo\\.invalid\\s+active\\s+never\\s+never$`,
          ),
        ),
      ),
    );
  });

  it("grants list filters, pages with --limit, and follows every page with --all", async () => {
    const [byAccount, byOtherProvider, onePage, allPages, viaUrlFlag] = await Promise.all([
      runCli(["grants", "list", "--provider", "demo", "--account", "gina@demo.invalid", "--json"]),
      runCli(["grants", "list", "--provider", "github", "--json"]),
      runCli(["grants", "list", "--limit", "1"]),
      runCli(["grants", "list", "--limit", "1", "--all", "--json"]),
      runCli(["grants", "list", "--json", "--url", server.baseUrl], { GRANTVAULT_URL: "http://127.0.0.1:9" }),
    ]);
    const ids = (run: CliRun) =>
      (JSON.parse(run.stdout) as { grant_id: string }[]).map((grant) => grant.grant_id);
    expect(ids(byAccount)).toStrictEqual([gina]);
    expect(ids(byOtherProvider)).toStrictEqual([]);

    expect(onePage.code, onePage.stderr).toBe(0);
    const onePageRows = onePage.stdout.trimEnd().split("\n");
    expect(onePageRows).toHaveLength(2);
    expect(onePageRows[1]?.split(" ")[0]).toBe(newestFirst[0]);
    expect(onePage.stderr).toBe(
      "More grants exist than the 1 shown: add --all to list every page (or --limit up to 100).\n",
    );

    expect(allPages.code, allPages.stderr).toBe(0);
    expect(ids(allPages)).toStrictEqual(newestFirst);
    expect(allPages.stderr).toBe("");

    expect(viaUrlFlag.code, viaUrlFlag.stderr).toBe(0);
    expect(ids(viaUrlFlag)).toStrictEqual(newestFirst);
  });

  it("grants show prints one grant as key/value lines or JSON", async () => {
    const [lines, json] = await Promise.all([
      runCli(["grants", "show", gina]),
      runCli(["grants", "show", gina, "--json"]),
    ]);
    expect(lines.code, lines.stderr).toBe(0);
    expect(lines.stdout).toMatch(new RegExp(`^Grant ID:\\s+${gina}$`, "m"));
    expect(lines.stdout).toMatch(/^Provider:\s+demo$/m);
    expect(lines.stdout).toMatch(/^Account:\s+gina@demo\.invalid$/m);
    expect(lines.stdout).toMatch(/^Status:\s+active$/m);
    expect(lines.stdout).toMatch(/^Scopes:\s+.*\bopenid\b/m);
    expect(lines.stdout).toMatch(/^Expires:\s+never$/m);
    expect(lines.stdout).not.toContain("Status reason");

    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      grant_id: gina,
      provider_id: "demo",
      account_identifier: "gina@demo.invalid",
      status: "active",
      status_reason: null,
      grant_policy: null,
    });
  });

  it("request refuses a host that is not an API host of the provider, before any token is used", async () => {
    const [refused, refusedJson] = await Promise.all([
      runCli(["request", "GET", "https://example.com/", "--grant", gina]),
      runCli(["request", "GET", "https://example.com/", "--grant", gina, "--json"]),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe(
      "grantvault: example.com is not an API host of the grant's provider; no token was used\n",
    );
    expect(refusedJson.code).toBe(1);
    expect(JSON.parse(refusedJson.stderr)).toStrictEqual({
      error: {
        code: "host_not_allowed",
        message: "example.com is not an API host of the grant's provider; no token was used",
      },
    });
    const shown = await runCli(["grants", "show", gina, "--json"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ last_used_at: null });
  });

  it("grants revoke revokes; show and list then say revoked", async () => {
    const revoked = await runCli(["grants", "revoke", gina, "--reason", "lost laptop"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe(`Revoked ${gina} (demo, gina@demo.invalid); its tokens are deleted.\n`);

    const [shown, shownJson, listed] = await Promise.all([
      runCli(["grants", "show", gina]),
      runCli(["grants", "show", gina, "--json"]),
      runCli(["grants", "list", "--status", "revoked", "--json"]),
    ]);
    expect(shown.stdout).toMatch(/^Status:\s+revoked$/m);
    expect(shown.stdout).toMatch(/^Status reason:\s+lost laptop$/m);
    expect(JSON.parse(shownJson.stdout)).toMatchObject({ status: "revoked", status_reason: "lost laptop" });
    expect(JSON.parse(listed.stdout).map((grant: { grant_id: string }) => grant.grant_id)).toStrictEqual([
      gina,
    ]);

    const revokedJson = await runCli(["grants", "revoke", helen, "--json"]);
    expect(revokedJson.code, revokedJson.stderr).toBe(0);
    expect(JSON.parse(revokedJson.stdout)).toMatchObject({ grant_id: helen, status: "revoked" });
  });

  it("audit shows the refusals and the revocation, as a table or JSON", async () => {
    const [table, json] = await Promise.all([
      runCli(["audit", "--grant", gina]),
      runCli(["audit", "--grant", gina, "--json", "--limit", "10"]),
    ]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^#\s+TIME\s+EVENT\s+OUTCOME\s+GRANT\s+KEY\s+DETAILS$/m);
    expect(table.stdout).toMatch(/grant\.revoked\s+ok\s+grant_\S+\s+gv_live_\S+\s+“lost laptop”/);
    expect(table.stdout).toMatch(/credential\.refused\s+refused .*example\.com\/ \(host_not_allowed\)/);
    const events = JSON.parse(json.stdout) as { type: string; grant_id: string }[];
    expect(events.map((event) => event.type)).toEqual(
      expect.arrayContaining(["grant.revoked", "credential.refused", "grant.created"]),
    );
    expect(events.every((event) => event.grant_id === gina)).toBe(true);
    const usage = await runCli(["audit", "--limit", "500"]);
    expect(usage.code).toBe(2);
  });

  it("exits 1 with a clear message for a grant the app does not have", async () => {
    const [shown, revoked, shownJson, requested] = await Promise.all([
      runCli(["grants", "show", UNKNOWN_GRANT]),
      runCli(["grants", "revoke", UNKNOWN_GRANT]),
      runCli(["grants", "show", UNKNOWN_GRANT, "--json"]),
      runCli(["request", "GET", "https://example.com/", "--grant", UNKNOWN_GRANT]),
    ]);
    for (const run of [shown, revoked, requested]) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`grantvault: no grant ${UNKNOWN_GRANT} for this app\n`);
    }
    expect(shownJson.code).toBe(1);
    expect(JSON.parse(shownJson.stderr)).toStrictEqual({
      error: { code: "grant_not_found", message: `no grant ${UNKNOWN_GRANT} for this app` },
    });
  });

  it("exits 2 on usage errors, before calling the vault", async () => {
    const cases: { args: string[]; env?: Record<string, string>; says: string }[] = [
      { args: ["grants"], says: "grants needs a subcommand" },
      { args: ["grants", "frob"], says: 'unknown grants subcommand "frob"' },
      { args: ["grants", "show"], says: "grants show needs GRANT_ID" },
      { args: ["grants", "show", gina, "extra"], says: 'unexpected argument "extra"' },
      { args: ["grants", "show", "not-a-grant"], says: "GRANT_ID: not a grant id: got 11 character(s)" },
      { args: ["grants", "show", gina, "--all"], says: "grants show has no option --all" },
      { args: ["grants", "list", "--status", "gone"], says: "--status must be one of active, expired" },
      { args: ["grants", "list", "--limit", "0"], says: "--limit must be a whole number from 1 to 100" },
      { args: ["grants", "list", "--url", "ftp://vault"], says: "--url must be the vault's http(s) URL" },
      { args: ["request", "GET", "https://example.com/"], says: "request needs --grant GRANT_ID" },
      { args: ["request", "GET", "--grant", gina], says: "request needs URL" },
      {
        args: ["request", "FETCH", "https://example.com/", "--grant", gina],
        says: 'unsupported method "FETCH"',
      },
      {
        args: ["request", "POST", "https://example.com/", "--grant", gina, "--json-body", "{nope"],
        says: "--json-body is not valid JSON",
      },
      {
        args: [
          "request",
          "POST",
          "https://example.com/",
          "--grant",
          gina,
          "--json-body",
          "{}",
          "--data",
          "x",
        ],
        says: "pass --json-body or --data, not both",
      },
      {
        args: ["request", "GET", "https://example.com/", "--grant", gina, "--header", "no-colon"],
        says: '--header must look like "Name: value"',
      },
      {
        args: ["request", "GET", "https://example.com/", "--grant", gina, "-H", "Authorization: Bearer x"],
        says: "the Authorization header is set by the vault",
      },
      {
        args: ["request", "GET", "https://example.com/", "--grant", gina, "--query", "q"],
        says: "name=value",
      },
      { args: ["grants", "list"], env: { GRANTVAULT_API_KEY: "" }, says: "set GRANTVAULT_API_KEY" },
    ];
    const runs = await Promise.all(cases.map((testCase) => runCli(testCase.args, testCase.env)));
    runs.forEach((run, index) => {
      const testCase = cases[index];
      expect(run.code, `${testCase?.args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(testCase?.says);
    });
  });
});
