import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { type ConnectAction, completeConnectFlow } from "../harness/connect-flow.js";
import { type ServerProcess, startServerProcess } from "../harness/server-process.js";

/**
 * The README walkthrough, for real: `grantvault-server serve --demo` as a process, then
 * `grantvault connect --provider demo` as a process, completed in Chromium.
 */
const CLI = fileURLToPath(new URL("../../packages/sdk/dist/cli.js", import.meta.url));
const API_KEY = /export GRANTVAULT_API_KEY=(gv_live_\S+)/;

let cwd: string;
let server: ServerProcess;
let browser: Browser;
let apiKey: string;

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-cli-e2e-"));
  [server, browser] = await Promise.all([
    startServerProcess({ cwd, args: ["--demo"], timeoutMs: 30_000 }),
    launchBrowser(),
  ]);
  apiKey = API_KEY.exec(server.stdout())?.[1] ?? "";
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(cwd, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `grantvault ...args`; once it prints a Connect link, a user does `action` in the browser. */
async function runConnect(args: string[], action?: ConnectAction, login = "alice"): Promise<CliRun> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "connect", ...args], {
    env: { PATH: process.env.PATH ?? "", GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: server.baseUrl },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let user: Promise<unknown> | undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
    const url = /(http:\/\/\S+\/connect\/gvcs_\S+)/.exec(stderr)?.[1];
    if (url && action && !user) {
      user = newPage(browser).then(async (page) => {
        try {
          return await completeConnectFlow(page, url, { provider: "demo", action, login });
        } finally {
          await page.context().close();
        }
      });
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  await user;
  return { code, stdout, stderr };
}

describe("grantvault connect against `grantvault-server serve --demo`", () => {
  it("lists the demo provider's redirect URI at start", () => {
    expect(server.stdout()).toContain(`demo         ${server.baseUrl}/v1/oauth/callback/demo`);
  });

  it("prints the link, a QR code and a spinner line, then the grant as JSON", async () => {
    const run = await runConnect(["--provider", "demo", "--no-browser", "--json"], "approve", "erin");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Confirmation code: [A-Z2-9]{4}-[A-Z2-9]{4}/);
    expect(run.stderr).toContain("scan this code");
    expect(run.stderr).toContain("▄");
    expect(run.stderr).toContain("Waiting for the link");
    expect(JSON.parse(run.stdout)).toStrictEqual([
      {
        grant_id: expect.stringMatching(/^grant_/),
        provider_id: "demo",
        account_identifier: "erin@demo.invalid",
        scopes: expect.arrayContaining(["openid"]),
      },
    ]);
  });

  it("calls the demo provider's API with the new grant (`grantvault request`), the token staying inside", async () => {
    const connected = await runConnect(["--provider", "demo", "--no-browser", "--json"], "approve", "gina");
    expect(connected.code, connected.stderr).toBe(0);
    const [{ grant_id: grantId }] = JSON.parse(connected.stdout) as [{ grant_id: string }];
    const demoApi = /its API for demo grants: GET (\S+)/.exec(server.stdout())?.[1];
    expect(demoApi).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/me$/);
    const child = spawn(process.execPath, [CLI, "request", "GET", demoApi ?? "", "--grant", grantId], {
      env: { PATH: process.env.PATH ?? "", GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: server.baseUrl },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ sub: "gina", email: "gina@demo.invalid" });
  });

  it("prints a table without --json", async () => {
    const run = await runConnect(["--provider", "demo", "--no-browser"], "approve", "frank");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^GRANT ID\s+PROVIDER\s+ACCOUNT\s+SCOPES\ngrant_\S+\s+demo\s+frank@demo\.invalid/,
    );
  });

  it("exits 3 when the user declines, 4 on timeout, 2 on usage errors", async () => {
    const denied = await runConnect(["--provider", "demo", "--no-browser"], "deny-at-provider");
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain("declined");
    const timedOut = await runConnect(["--provider", "demo", "--no-browser", "--timeout", "2"]);
    expect(timedOut.code).toBe(4);
    expect(timedOut.stderr).toContain("--timeout");
    const usage = await runConnect(["--provider", "demo", "--timeout", "soon"]);
    expect(usage.code).toBe(2);
    const unknown = await runConnect(["--provider", "nope", "--no-browser"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown provider(s): nope");
  });
});
