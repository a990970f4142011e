import { describe, expect, it } from "vitest";
import {
  clickOpen,
  closedPage,
  expectOneTerminal,
  terminals,
  waitForEvent,
  waitForTerminal,
  widgetLog,
} from "./app-page.js";
import { grantResult } from "./fake-vault.js";
import { useWidgetWorld } from "./widget-world.js";

/*
 * Connect.js in real Chromium against a stand-in vault: how a flow ends when the session's status
 * says so (the Connect page's message lost), and when the vault cannot be reached.
 */

const world = useWidgetWorld();
const openApp = (token: string) => world.openApp(token);

describe("the session's status (long-poll) ends the flow when no message arrives", () => {
  it("completed → onSuccess with the results, popup closed", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    const results = [grantResult("polled@idp.test")];
    world.vault.update(session.token, { status: "completed", results });
    expect(await waitForTerminal(page)).toEqual(["success", results]);
    await closedPage(popup);
    await expectOneTerminal(page);
  });

  it("completed without a grant → provider_error, never onSuccess with nothing", async () => {
    const session = world.vault.add();
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    await waitForEvent(page, "OPEN");
    world.vault.update(session.token, { status: "completed", results: [] });
    expect(await waitForTerminal(page)).toEqual([
      "error",
      "provider_error",
      "The vault reported no grant for this connection.",
      "GrantvaultConnectError",
      true,
    ]);
    await closedPage(popup);
    await expectOneTerminal(page);
  });

  it("denied → access_denied, failed → provider_error, with the vault's message", async () => {
    for (const [status, code] of [
      ["denied", "access_denied"],
      ["failed", "provider_error"],
    ] as const) {
      const session = world.vault.add();
      const page = await openApp(session.token);
      const popup = await clickOpen(page);
      await waitForEvent(page, "OPEN");
      world.vault.update(session.token, {
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
    const session = world.vault.add("expired");
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
    const session = world.vault.add();
    world.vault.failNext = 2;
    const page = await openApp(session.token);
    const popup = await clickOpen(page);
    // Two failures, then the vault answers: the flow goes on.
    await waitForEvent(page, "OPEN", 8000);
    expect(await terminals(page)).toEqual([]);

    world.vault.failNext = 100;
    const started = Date.now();
    world.vault.update(session.token, {}); // answers the held long-poll; every request after it fails
    expect((await waitForTerminal(page, 20_000)).slice(0, 2)).toEqual(["error", "network_error"]);
    // Four retries with backoff (0.5 + 1 + 2 + 4 s) before giving up.
    expect(Date.now() - started).toBeGreaterThan(6000);
    await closedPage(popup);
  });
});
