import { existsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { freePort } from "../harness/free-port.js";
import { runNodeEntry, type ServerProcess, startServerProcess } from "../harness/server-process.js";

/**
 * Issue 14: restarting `grantvault-server serve --demo` must not break demo grants. The demo
 * provider keeps its port, keys and tokens (in `<data dir>/demo-provider/`), so a grant connected
 * before a restart still calls the demo API after it, and its token is still refreshed. A provider
 * that forgot the grant (its state deleted) refuses the refresh: the grant is `reauth_required`.
 */
const SDK_CLI = fileURLToPath(new URL("../../packages/sdk/dist/cli.js", import.meta.url));
const API_KEY = /export GRANTVAULT_API_KEY=(gv_live_\S+)/;
const DEMO_API_URL = /its API for demo grants: GET (http:\/\/\S+)/;
/** Short-lived demo access tokens: the vault refreshes one used past 3/4 of its life (3 s). */
const TOKEN_TTL_SECONDS = 4;

let cwd: string;
let demoPort: number;
let browser: Browser;
let server: ServerProcess | undefined;
let apiKey: string;
let apiUrl: string;
let grantId: string;
/** When the grant's current access token was issued (connect or last refresh). */
let tokenIssuedAt: number;

function startVault(): Promise<ServerProcess> {
  return startServerProcess({
    cwd,
    args: ["--demo", "--demo-port", String(demoPort), "--demo-token-ttl", String(TOKEN_TTL_SECONDS)],
    timeoutMs: 30_000,
  });
}

async function restartVault(): Promise<ServerProcess> {
  expect(await server?.stop()).toBe(0);
  server = await startVault();
  return server;
}

/** `GET <demo API>` through the vault (proxy mode), as the grant. */
async function callDemoApi(): Promise<{ status: number; body: unknown; refreshAttempts: number | null }> {
  const response = await fetch(`${server?.baseUrl}/v1/grants/${grantId}/proxy`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      "grantvault-method": "GET",
      "grantvault-url": apiUrl,
    },
  });
  const retryInfo = response.headers.get("grantvault-retry-info");
  const refreshAttempts = retryInfo
    ? (JSON.parse(retryInfo) as { refresh_attempts: number }).refresh_attempts
    : null;
  if (refreshAttempts !== null) tokenIssuedAt = Date.now();
  return { status: response.status, body: await response.json(), refreshAttempts };
}

/** Waits until the grant's access token is due for refresh (within its last quarter). */
async function untilTokenNearExpiry(): Promise<void> {
  const due = tokenIssuedAt + TOKEN_TTL_SECONDS * 750 + 250;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
}

function oidcProviderLines(vault: ServerProcess): string[] {
  return `${vault.stdout()}\n${vault.stderr()}`.split("\n").filter((line) => line.includes("oidc-provider"));
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-demo-restart-"));
  demoPort = await freePort();
  [server, browser] = await Promise.all([startVault(), launchBrowser()]);
  apiKey = API_KEY.exec(server.stdout())?.[1] ?? "";
  apiUrl = DEMO_API_URL.exec(server.stdout())?.[1] ?? "";
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await rm(cwd, { recursive: true, force: true });
});

describe("the demo provider across restarts (issue 14)", () => {
  it("listens on the port it was given and keeps its state owner-only in the data dir", async () => {
    expect(apiUrl).toBe(`http://127.0.0.1:${demoPort}/me`);
    const stateDir = join(cwd, ".grantvault", "demo-provider");
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    for (const file of ["secrets.json", "provider.db"]) {
      expect((await stat(join(stateDir, file))).mode & 0o777, file).toBe(0o600);
    }
  });

  it("start prints no oidc-provider WARNING lines", () => {
    expect(oidcProviderLines(server as ServerProcess)).toStrictEqual([]);
  });

  it("demo grant still works after a restart, and its token is still refreshed", async () => {
    grantId = await connectAccount({ baseUrl: server?.baseUrl ?? "", apiKey }, browser, "demo", "rita");
    tokenIssuedAt = Date.now();
    const before = await callDemoApi();
    expect(before).toMatchObject({ status: 200, body: { sub: "rita", email: "rita@demo.invalid" } });

    const restarted = await restartVault();
    expect(DEMO_API_URL.exec(restarted.stdout())?.[1]).toBe(apiUrl);
    // The first start's API key and app are still there: no new first-start key.
    expect(restarted.stdout()).not.toMatch(API_KEY);

    await untilTokenNearExpiry();
    const refreshed = await callDemoApi();
    expect(refreshed).toStrictEqual({
      status: 200,
      body: expect.objectContaining({ sub: "rita" }),
      refreshAttempts: 1,
    });
    // The refreshed token works as it is, and after another restart as well.
    expect(await callDemoApi()).toMatchObject({ status: 200, refreshAttempts: null });
    await restartVault();
    expect(await callDemoApi()).toMatchObject({ status: 200, body: { sub: "rita" } });
    // Neither the connect flow, the refresh nor the restarts made the library print anything.
    expect(oidcProviderLines(server as ServerProcess)).toStrictEqual([]);
  });

  it("a demo provider that forgot the grant refuses its refresh: grants list says reauth_required", async () => {
    expect(await server?.stop()).toBe(0);
    const providerDb = join(cwd, ".grantvault", "demo-provider", "provider.db");
    expect(existsSync(providerDb)).toBe(true);
    await rm(providerDb);
    server = await startVault();

    await untilTokenNearExpiry();
    const refused = await callDemoApi();
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "reauth_required" } } });

    const listed = await runNodeEntry(SDK_CLI, ["grants", "list", "--json"], {
      env: { GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: server.baseUrl },
    });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toStrictEqual([
      expect.objectContaining({
        grant_id: grantId,
        status: "reauth_required",
        status_reason: expect.stringContaining("invalid_grant"),
      }),
    ]);
  });
});
