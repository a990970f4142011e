import { describe, expect, it } from "vitest";
import {
  clickOpen,
  closedPage,
  expectOneTerminal,
  sleep,
  terminals,
  waitForEvent,
  waitForTerminal,
  widgetLog,
} from "./app-page.js";
import { grantResult } from "./fake-vault.js";
import { useWidgetWorld } from "./widget-world.js";

/*
 * Connect.js in real Chromium against a stand-in vault: the user closing the popup, the browser
 * blocking it, close() and destroy(), small screens, and the ESM build.
 */

const world = useWidgetWorld();
const openApp = world.openApp;

describe("the popup", () => {
  it("closed by the user → EXIT and onExit, exactly once, after one last status check", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await popup.close();
    expect(await waitForTerminal(page)).toEqual(["exit"]);
    expect(world.vault.statusRequests).toContain(`/connect/${session.token}/status?wait=0`);
    const exit = (await widgetLog(page)).find(([, name]) => name === "EXIT");
    expect(exit?.[2]).toMatchObject({ session_id: session.sessionId });
    await expectOneTerminal(page);
  });

  it("closed after the session completed while message and long-poll were lost → onSuccess, not onExit", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    world.vault.holdPolls = true; // the long-poll never answers
    const results = [grantResult("final-check@idp.test")];
    world.vault.update(session.token, { status: "completed", results });
    await popup.close();
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    await expectOneTerminal(page);
  });

  it("blocked by the browser (open() outside a user gesture) → popup_blocked", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token, "&auto");
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "popup_blocked"]);
    expect(await page.evaluate("window.opens.length")).toBe(1);
    expect(await page.evaluate("widget.isOpen()")).toBe(false);
    expect(world.vault.statusRequests.some((path) => path.includes(session.token))).toBe(false);
    // The same page, with a click this time: the popup opens.
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await popup.close();
    await expect.poll(async () => (await terminals(page)).map(([kind]) => kind)).toEqual(["error", "exit"]);
  });

  it("close() ends the flow without a callback; open() then starts a new one; a second open() only focuses", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    await page.click("#open"); // already open: focus, no second window
    expect(await page.evaluate("window.opens.length")).toBe(1);

    await page.evaluate("widget.close()");
    await closedPage(popup);
    expect(await page.evaluate("widget.isOpen()")).toBe(false);
    await sleep(800);
    expect(await terminals(page)).toEqual([]);

    const again = await clickOpen(page);
    expect(await page.evaluate("window.opens.length")).toBe(2);
    await again.close();
    expect(await waitForTerminal(page)).toEqual(["exit"]);
  });

  it("destroy() closes the popup; open() throws afterwards; bad options throw at once", async () => {
    const session = world.vault.add();
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
    await sleep(800);
    expect(await terminals(page)).toEqual([]);
  });
});

describe("small screens and the builds", () => {
  it("a phone-sized viewport redirects to ?display=redirect; readReturn() reads the return_url parameters", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token, "", {
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    const navigated = page.waitForURL(`${world.vault.origin}/connect/${session.token}?display=redirect`);
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
    await page.goto(`${world.app.origin}/return?grantvault_session_id=cs_1&grantvault_status=bogus`);
    expect(await page.textContent("#return")).toBe("null");
    await page.goto(`${world.app.origin}/return`);
    expect(await page.textContent("#return")).toBe("null");
  });

  it("the ESM build exports create, readReturn and a default GrantvaultConnect", async () => {
    const page = await world.newPage();
    await page.goto(`${world.app.origin}/esm`);
    await page.waitForFunction("document.getElementById('esm').textContent !== ''");
    expect(JSON.parse((await page.textContent("#esm")) ?? "")).toEqual({
      same: true,
      version: "0.1.0",
      methods: ["close", "destroy", "isOpen", "off", "on", "open"],
      ret: { sessionId: "cs_1", status: "denied" },
    });
  });
});
