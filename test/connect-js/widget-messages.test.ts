import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  clickOpen,
  closedPage,
  postToOpener,
  sleep,
  terminals,
  waitForEvent,
  waitForRawMessage,
  waitForTerminal,
  widgetLog,
  widgetMessage,
} from "./app-page.js";
import { grantResult } from "./fake-vault.js";
import { useWidgetWorld } from "./widget-world.js";

/*
 * Connect.js in real Chromium against a stand-in for the vault's side of the contract: the popup,
 * the events and results the Connect page posts, and which messages the widget must ignore. (The
 * same flows against the real vault are in e2e.test.ts.)
 */

const world = useWidgetWorld();
const openApp = (token: string, query?: string) => world.openApp(token, query);

describe("Connect.js popup (desktop)", () => {
  it("opens a centred 500×700 popup on ?display=popup synchronously inside the click, then reports OPEN", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token, "&debug");
    const consoleLines: string[] = [];
    page.on("console", (message) => consoleLines.push(message.text()));

    const popup = await clickOpen(page);
    const opened = await waitForEvent(page, "OPEN");
    expect(opened).toMatchObject({ session_id: session.sessionId, display: "popup" });
    expect(typeof opened.timestamp).toBe("string");
    expect(await widgetLog(page)).toContainEqual(["window.open calls during open()", 1]);

    const [call] = (await page.evaluate("window.opens")) as string[][];
    const [url, , features] = call ?? [];
    expect(url).toBe(`${world.vault.origin}/connect/${session.token}?display=popup`);
    const screen = (await page.evaluate("({ x: screenX, y: screenY, w: outerWidth, h: outerHeight })")) as {
      x: number;
      y: number;
      w: number;
      h: number;
    };
    const left = Math.max(0, Math.round(screen.x + (screen.w - 500) / 2));
    const top = Math.max(0, Math.round(screen.y + (screen.h - 700) / 2));
    expect(features).toBe(`popup=yes,width=500,height=700,left=${left},top=${top}`);
    await popup.waitForSelector("#display");
    expect(await popup.textContent("#display")).toBe("popup");
    expect(await page.evaluate("widget.isOpen()")).toBe(true);
    // The first status request learns the session id; later ones long-poll.
    const requests = world.vault.statusRequests.filter((path) => path.includes(session.token));
    expect(requests[0]).toBe(`/connect/${session.token}/status`);
    await expect.poll(() => world.vault.statusRequests).toContain(`/connect/${session.token}/status?wait=25`);

    await page.evaluate("widget.close()");
    expect(consoleLines.some((line) => line.startsWith("[Grantvault Connect]"))).toBe(true);
    expect(consoleLines.join("\n")).not.toContain(session.token);
  });

  it("relays the page's events and reports the grant from OAUTH_COMPLETE, once, closing the popup", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    await page.evaluate(
      "window.bus = []; widget.on('PROVIDER_SELECTED', (m, n) => bus.push([n, m.provider, window.log.length]))",
    );
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");

    await postToOpener(popup, widgetMessage(session.sessionId, "PROVIDER_SELECTED", { provider: "idp" }));
    await postToOpener(popup, widgetMessage(session.sessionId, "OAUTH_STARTED", { provider: "idp" }));
    const results = [grantResult("alice@idp.test")];
    await postToOpener(popup, widgetMessage(session.sessionId, "OAUTH_COMPLETE", { results }));
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    await closedPage(popup);

    // The vault's status catches up too: still one terminal callback.
    world.vault.update(session.token, { status: "completed", results });
    await sleep(800);
    expect(await terminals(page)).toHaveLength(1);
    const events = (await widgetLog(page)).filter(([kind]) => kind === "event");
    expect(events.map(([, name, metadata]) => [name, (metadata as { provider?: string }).provider])).toEqual([
      ["OPEN", undefined],
      ["PROVIDER_SELECTED", "idp"],
      ["OAUTH_STARTED", "idp"],
      ["OAUTH_COMPLETE", undefined],
    ]);
    expect(events.at(-1)?.[2]).toMatchObject({ session_id: session.sessionId, status: "success" });
    // on() handlers run before onEvent.
    const bus = (await page.evaluate("window.bus")) as [string, string, number][];
    const providerSelectedAt = (await widgetLog(page)).findIndex(([, name]) => name === "PROVIDER_SELECTED");
    expect(bus).toEqual([["PROVIDER_SELECTED", "idp", providerSelectedAt]]);
    expect(await page.evaluate("widget.isOpen()")).toBe(false);
  });

  it("reports OAUTH_COMPLETE without a grant through onError with the page's code", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await postToOpener(
      popup,
      widgetMessage(session.sessionId, "OAUTH_COMPLETE", {
        error: { code: "access_denied", message: "You declined at the provider." },
      }),
    );
    expect(await waitForTerminal(page)).toEqual([
      "error",
      "access_denied",
      "You declined at the provider.",
      "GrantvaultConnectError",
      true,
    ]);
    expect((await widgetLog(page)).find(([, name]) => name === "OAUTH_COMPLETE")?.[2]).toMatchObject({
      status: "error",
      error_code: "access_denied",
    });

    // A code outside the contract's list becomes provider_error.
    const other = world.vault.add();
    const second = await openApp(other.token);
    const secondPopup = await clickOpen(second);
    await waitForEvent(second, "OPEN");
    await postToOpener(
      secondPopup,
      widgetMessage(other.sessionId, "OAUTH_COMPLETE", {
        error: { code: "teapot" as "provider_error", message: "odd" },
      }),
    );
    expect((await waitForTerminal(second)).slice(0, 2)).toEqual(["error", "provider_error"]);
  });
});

describe("Connect.js ignores messages it must not trust", () => {
  const forged = (sessionId: string, marker: string) =>
    widgetMessage(sessionId, "OAUTH_COMPLETE", { results: [grantResult(`${marker}@evil.test`)] });

  /** After the forgery was ignored, the genuine page's message still gets through. */
  async function genuineCompletion(page: Page, popup: Page, sessionId: string): Promise<void> {
    const results = [grantResult("genuine@idp.test")];
    await postToOpener(popup, widgetMessage(sessionId, "OAUTH_COMPLETE", { results }));
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    expect(await terminals(page)).toHaveLength(1);
  }

  it("from another origin, even from inside the popup with the right session id", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");

    // The popup is navigated to another site (e.g. through an open redirect), which forges a result.
    await popup.goto(`${world.evil.origin}/forge`);
    await postToOpener(popup, forged(session.sessionId, "foreign-origin"));
    await postToOpener(popup, widgetMessage(session.sessionId, "PROVIDER_SELECTED", { provider: "evil" }));
    expect((await waitForRawMessage(page, "foreign-origin")).origin).toBe(world.evil.origin);
    await waitForRawMessage(page, '"provider":"evil"');
    expect(await terminals(page)).toEqual([]);
    expect((await widgetLog(page)).some(([, name]) => name === "PROVIDER_SELECTED")).toBe(false);
    expect(await page.evaluate("widget.isOpen()")).toBe(true);

    await popup.goto(`${world.vault.origin}/connect/${session.token}?display=popup`);
    await genuineCompletion(page, popup, session.sessionId);
  });

  it("from a window other than the popup, even on the vault's origin with the right session id", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");

    // A frame of the vault's origin inside the app page: right origin, right session, wrong window.
    await page.evaluate(
      `(() => { const f = document.createElement("iframe"); f.src = ${JSON.stringify(`${world.vault.origin}/frame`)}; document.body.append(f); })()`,
    );
    const frame = await (await page.waitForSelector("iframe")).contentFrame();
    if (!frame) throw new Error("no frame");
    await frame.waitForSelector("#blank");
    await postToOpener(frame, forged(session.sessionId, "other-window"), "parent");
    expect((await waitForRawMessage(page, "other-window")).origin).toBe(world.vault.origin);
    expect(await terminals(page)).toEqual([]);
    expect(await page.evaluate("widget.isOpen()")).toBe(true);

    await genuineCompletion(page, popup, session.sessionId);
  });

  it("for another session, or not of the widget's type", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");

    // The genuine popup, the vault's origin, but another session's result.
    await postToOpener(popup, forged(`cs_${"f".repeat(24)}`, "other-session"));
    await postToOpener(popup, { ...forged(session.sessionId, "other-type"), type: "grantvault:other" });
    await postToOpener(popup, `{"type":"grantvault:connect","session_id":"${session.sessionId}"}`);
    expect((await waitForRawMessage(page, "other-session")).origin).toBe(world.vault.origin);
    await waitForRawMessage(page, "other-type");
    await waitForRawMessage(page, "grantvault:connect\\");
    expect(await terminals(page)).toEqual([]);
    expect(await page.evaluate("widget.isOpen()")).toBe(true);

    await genuineCompletion(page, popup, session.sessionId);
  });
});
