import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserOpenerEnv, launchBrowser, newPage } from "./browser.js";
import { completeConnectFlow } from "./connect-flow.js";
import { CONNECT_CLIENT, startFakeConnectPage } from "./fake-connect-page.js";
import { type OAuthProvider, startOAuthProvider } from "./oauth-provider.js";

/** The provider driven through a Connect page: by completeConnectFlow, and by browser-opener.mjs. */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Opens `url` with the real `open` package in a child process, as the SDK would. */
function openWithOpenPackage(url: string, env: Record<string, string>): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const { default: open } = await import("open"); await open(process.argv[1]);',
      url,
    ],
    // No DISPLAY / WAYLAND_DISPLAY / XDG_CURRENT_DESKTOP: xdg-open falls back to $BROWSER.
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: "ignore" },
  );
  return new Promise((resolve) => child.once("exit", resolve));
}

async function waitForLogLine(file: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await readFile(file, "utf8").catch(() => "");
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${pattern} in ${file} after ${timeoutMs} ms:\n${text}`);
}

describe("OAuth provider harness (real oidc-provider, resource API and Chromium)", () => {
  let oauth: OAuthProvider;
  let browser: Browser;
  let connect: Awaited<ReturnType<typeof startFakeConnectPage>>;

  beforeAll(async () => {
    connect = await startFakeConnectPage(() => oauth);
    oauth = await startOAuthProvider({
      clients: [{ ...CONNECT_CLIENT, redirect_uris: [connect.redirectUri] }],
      scopes: ["repo", "read:user"],
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await oauth?.stop();
    await new Promise((resolve) => connect?.server.close(resolve));
  });

  it("completeConnectFlow drives a Connect page: approve, deny at the provider, cancel", async () => {
    const page = await newPage(browser);
    try {
      const approved = await completeConnectFlow(page, connect.connectUrl, {
        provider: "test",
        login: "carol",
      });
      expect(approved).toMatchObject({
        result: "success",
        text: "Connected as carol.",
        confirmationCode: "WXYZ-2345",
      });
    } finally {
      await page.context().close();
    }

    const page2 = await newPage(browser);
    try {
      const denied = await completeConnectFlow(page2, connect.connectUrl, {
        provider: "test",
        action: "deny-at-provider",
      });
      expect(denied).toMatchObject({ result: "denied", text: "Access was denied at the provider." });

      const cancelled = await completeConnectFlow(page2, connect.connectUrl, {
        provider: "test",
        action: "cancel-on-connect-page",
      });
      expect(cancelled).toMatchObject({ result: "denied", text: "You cancelled the connection." });
    } finally {
      await page2.context().close();
    }
    expect(connect.outcomes).toEqual([
      { result: "success", sub: "carol" },
      { result: "denied" },
      { result: "denied" },
    ]);
  });

  it("browser-opener.mjs, set as BROWSER, is launched by the `open` package and completes the flow", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gv-opener-"));
    try {
      const logFile = join(dir, "browser.log");
      const before = connect.outcomes.length;
      const url = `${connect.connectUrl}?session=abc&x=1`;
      const exitCode = await openWithOpenPackage(
        url,
        browserOpenerEnv({ provider: "test", login: "dave", logFile }),
      );
      expect(exitCode).toBe(0);

      const log = await waitForLogLine(logFile, /result: |error: /, 30_000);
      expect(log).toContain(`started with ${JSON.stringify([url])}`);
      expect(log).toContain("confirmation code: WXYZ-2345");
      expect(log).toContain("result: success");
      expect(connect.outcomes.slice(before)).toEqual([{ result: "success", sub: "dave" }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
