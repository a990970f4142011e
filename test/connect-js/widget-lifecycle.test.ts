import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  closedPage,
  ensureBundles,
  type FakeVault,
  grantResult,
  type HttpSite,
  launchChromiumWithPopupBlocker,
  newContext,
  sleep,
  startAppSite,
  startFakeVault,
  terminals,
  waitForEvent,
  waitForTerminal,
  widgetLog,
} from "./support.js";

/*
 * Connect.js in real Chromium against a stand-in vault: how a flow ends when the status endpoint
 * answers (lost messages), when the user closes the popup, when the token is bad or expired, when
 * the network fails, when the browser blocks the popup, and on small screens.
 */

let browser: Browser;
let app: HttpSite;
let vault: FakeVault;
const pages: Page[] = [];

beforeAll(async () => {
  await ensureBundles();
  [browser, app] = await Promise.all([launchChromiumWithPopupBlocker(), startAppSite()]);
  vault = await startFakeVault(() => app.origin);
});
afterEach(async () => {
  vault.failNext = 0;
  vault.holdPolls = false;
  for (const page of pages.splice(0)) await page.context().close();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([app?.close(), vault?.close()]);
});

async function openApp(token: string, query = "", options: BrowserContextOptions = {}): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${app.origin}/?vault=${encodeURIComponent(vault.origin)}&token=${token}${query}`);
  return page;
}

async function clickOpen(page: Page): Promise<Page> {
  const popup = page.waitForEvent("popup");
  await page.click("#open");
  return popup;
}

/** Waits a little longer than the widget's closed-popup check, then expects exactly one terminal callback. */
async function expectOneTerminal(page: Page): Promise<void> {
  await sleep(1200);
  expect(await terminals(page)).toHaveLength(1);
  expect(await page.evaluate("widget.isOpen()")).toBe(false);
}

describe("the session's status (long-poll) ends the flow when no message arrives", () => {
  it("completed → onSuccess with the results, popup closed", async () => {
    const session = vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    const results = [grantResult("polled@idp.test")];
    vault.update(session.token, { status: "completed", results });
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    await closedPage(popup);
    await expectOneTerminal(page);
  });

  it("denied → access_denied, failed → provider_error, with the vault's message", async () => {
    for (const [status, code] of [
      ["denied", "access_denied"],
      ["failed", "provider_error"],
    ] as const) {
      const session = vault.add();
      const page = await openApp(session.token);
      const popup = await clickOpen(page);
      await waitForEvent(page, "OPEN");
      vault.update(session.token, {
        status,
        error: { code: status === "denied" ? "access_denied" : "provider_error", message: `said ${status}` },
      });
      expect(await waitForTerminal(page)).toEqual([
        "error",
        code,
        `said ${status}`,
        "GrantvaultConnectError",
        true,
      ]);
      await closedPage(popup);
    }
  });

  it("expired → session_expired, and the popup is closed", async () => {
    const session = vault.add("expired");
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "session_expired"]);
    await closedPage(popup);
    // No OPEN for a session that was already over.
    expect((await widgetLog(page)).some(([, name]) => name === "OPEN")).toBe(false);
    await expectOneTerminal(page);
  });

  it("an unknown token (404) → invalid_token, and the popup is closed", async () => {
    const page = await openApp("gvcs_not-a-real-token");
    const popup = await clickOpen(page);
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "invalid_token"]);
    await closedPage(popup);
    await expectOneTerminal(page);
  });

  it("retries failed status requests with backoff, then reports network_error", async () => {
    const session = vault.add();
    vault.failNext = 2;
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    // Two failures, then the vault answers: the flow goes on.
    await waitForEvent(page, "OPEN", 8000);
    expect(await terminals(page)).toEqual([]);

    vault.failNext = 100;
    const started = Date.now();
    vault.update(session.token, {}); // answers the held long-poll; every request after it fails
    expect((await waitForTerminal(page, 20_000)).slice(0, 2)).toEqual(["error", "network_error"]);
    // Four retries with backoff (0.5 + 1 + 2 + 4 s) before giving up.
    expect(Date.now() - started).toBeGreaterThan(6000);
    await closedPage(popup);
  });
});

describe("the popup", () => {
  it("closed by the user → EXIT and onExit, exactly once, after one last status check", async () => {
    const session = vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await popup.close();
    expect(await waitForTerminal(page)).toEqual(["exit"]);
    expect(vault.statusRequests).toContain(`/connect/${session.token}/status?wait=0`);
    const exit = (await widgetLog(page)).find(([, name]) => name === "EXIT");
    expect(exit?.[2]).toMatchObject({ session_id: session.sessionId });
    await expectOneTerminal(page);
  });

  it("closed after the session completed while message and long-poll were lost → onSuccess, not onExit", async () => {
    const session = vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    vault.holdPolls = true; // the long-poll never answers
    const results = [grantResult("final-check@idp.test")];
    vault.update(session.token, { status: "completed", results });
    await popup.close();
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    await expectOneTerminal(page);
  });

  it("blocked by the browser (open() outside a user gesture) → popup_blocked", async () => {
    const session = vault.add();
    const page = await openApp(session.token, "&auto");
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "popup_blocked"]);
    expect(await page.evaluate("window.opens.length")).toBe(1);
    expect(await page.evaluate("widget.isOpen()")).toBe(false);
    expect(vault.statusRequests.some((path) => path.includes(session.token))).toBe(false);
    // The same page, with a click this time: the popup opens.
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await popup.close();
    await expect.poll(async () => (await terminals(page)).map(([kind]) => kind)).toEqual(["error", "exit"]);
  });

  it("close() ends the flow without a callback; open() then starts a new one; a second open() only focuses", async () => {
    const session = vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await page.click("#open"); // already open: focus, no second window
    expect(await page.evaluate("window.opens.length")).toBe(1);

    await page.evaluate("widget.close()");
    await closedPage(popup);
    expect(await page.evaluate("widget.isOpen()")).toBe(false);
    await sleep(1200);
    expect(await terminals(page)).toEqual([]);

    const again = await clickOpen(page);
    expect(await page.evaluate("window.opens.length")).toBe(2);
    await again.close();
    expect(await waitForTerminal(page)).toEqual(["exit"]);
  });

  it("destroy() closes the popup; open() throws afterwards; bad options throw at once", async () => {
    const session = vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await page.evaluate("widget.destroy()");
    await closedPage(popup);
    const thrown = (await page.evaluate(`(() => {
      const attempt = (fn) => { try { fn(); return "no error"; } catch (e) { return e.name + ": " + e.message; } };
      return [
        attempt(() => widget.open({ token: "t", onSuccess() {} })),
        attempt(() => GrantvaultConnect.create({ baseUrl: "javascript:alert(1)" })),
        attempt(() => GrantvaultConnect.create({})),
        attempt(() => GrantvaultConnect.create({ baseUrl: location.origin }).open({ onSuccess() {} })),
        attempt(() => GrantvaultConnect.create({ baseUrl: location.origin }).open({ token: "t" })),
      ];
    })()`)) as string[];
    expect(thrown[0]).toMatch(/^Error: .*destroyed/);
    expect(thrown.slice(1).every((message) => message.startsWith("TypeError: "))).toBe(true);
    await sleep(1200);
    expect(await terminals(page)).toEqual([]);
  });
});

describe("small screens and the builds", () => {
  it("a phone-sized viewport redirects to ?display=redirect; readReturn() reads the return_url parameters", async () => {
    const session = vault.add();
    const page = await openApp(session.token, "", {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const navigated = page.waitForURL(`${vault.origin}/connect/${session.token}?display=redirect`);
    await page.click("#open");
    await navigated;
    expect(await page.textContent("#display")).toBe("redirect");
    // The vault sends the browser back to return_url with the session id and status.
    await page.click("#finish");
    await page.waitForURL(/\/return\?/);
    expect(JSON.parse((await page.textContent("#return")) ?? "")).toEqual({
      sessionId: session.sessionId,
      status: "success",
    });
    await page.goto(`${app.origin}/return?grantvault_session_id=cs_1&grantvault_status=bogus`);
    expect(await page.textContent("#return")).toBe("null");
    await page.goto(`${app.origin}/return`);
    expect(await page.textContent("#return")).toBe("null");
  });

  it("the ESM build exports create, readReturn and a default GrantvaultConnect", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    pages.push(page);
    await page.goto(`${app.origin}/esm`);
    await page.waitForFunction("document.getElementById('esm').textContent !== ''");
    expect(JSON.parse((await page.textContent("#esm")) ?? "")).toEqual({
      same: true,
      version: "0.1.0",
      methods: ["close", "destroy", "isOpen", "off", "on", "open"],
      ret: { sessionId: "cs_1", status: "denied" },
    });
  });
});
