import { Vault } from "grantvault";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningExample, startExample } from "../../examples/web/server.mjs";
import { CONNECT_PAGE_SELECTORS, DEV_INTERACTION_SELECTORS } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import {
  clickOpen,
  closedPage,
  postToOpener,
  sleep,
  terminals,
  waitForEvent,
  waitForRawMessage,
  waitForTerminal,
  widgetMessage,
} from "./app-page.js";
import { startAppSite } from "./app-site.js";
import { ensureBundles } from "./bundles.js";
import { launchChromiumWithPopupBlocker, newContext } from "./chromium.js";
import { type HttpSite, html, serve } from "./http-site.js";

/*
 * Connect.js end to end: the example web app (examples/web) and its backend minting sessions with
 * the SDK, the real vault (HTTP on loopback, SQLite, FakeClock), its hosted Connect page in a popup
 * (or the whole page on a phone), node-oidc-provider's login and consent pages, in Chromium with its
 * popup blocker on. The widget test page (app-site.ts) covers what the example page does not show:
 * bad and expired tokens, and forged messages with the session's real id.
 */

let world: ConnectWorld;
let browser: Browser;
let example: RunningExample;
let widgetPage: HttpSite;
let evil: HttpSite;
let vault: Vault;
const contexts: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  await ensureBundles();
  [world, browser, widgetPage, evil] = await Promise.all([
    startConnectWorld(),
    launchChromiumWithPopupBlocker(),
    startAppSite(),
    serve((_request, response) => html(response, "<p>another site</p>")),
  ]);
  example = await startExample({
    apiKey: world.apiKey,
    vaultUrl: world.baseUrl,
    port: 0,
    providers: ["idp"],
  });
  // The operator allows the two web pages for the app (return_url and allowed_origin are checked against it).
  await world.vault.store.apps.setAllowedOrigins(world.appId, [example.origin, widgetPage.origin]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([example?.close(), widgetPage?.close(), evil?.close()]);
  await world?.stop();
});

async function newPage(options: BrowserContextOptions = {}): Promise<Page> {
  const context = await newContext(browser, options);
  contexts.push(context);
  return context.newPage();
}

/** The example app, once its backend has minted a session (the button is enabled then). */
async function openExample(options: BrowserContextOptions = {}, initScript?: string): Promise<Page> {
  const page = await newPage(options);
  if (initScript) await page.addInitScript(initScript);
  await page.goto(example.origin);
  await page.waitForSelector("#connect:enabled");
  return page;
}

/** What the example page lists in its event log. */
async function exampleEvents(page: Page): Promise<string[]> {
  return page.locator("#events li").allTextContents();
}

/**
 * In the Connect page (popup or whole page): picks the provider, then signs in at the provider and
 * approves or denies, until the flow is back at the vault's result page or the example app. In a
 * popup the result page closes itself once it has reported to the opener; that counts as done.
 * (Like the harness's loginAndConsent, but without a pending wait left behind when the page closes.)
 */
async function connectIn(page: Page, action: "approve" | "deny" = "approve", login = "alice"): Promise<void> {
  const s = DEV_INTERACTION_SELECTORS;
  const loginForm = page.locator(s.loginForm);
  const consentForm = page.locator(s.consentForm);
  const done = page.locator(`${CONNECT_PAGE_SELECTORS.result}, #events`);
  try {
    await page.locator(CONNECT_PAGE_SELECTORS.providerButton("idp")).first().click();
    for (let step = 0; step < 6; step++) {
      await loginForm.or(consentForm).or(done).first().waitFor({ timeout: 15_000 });
      if ((await done.count()) > 0) return;
      const form = (await loginForm.count()) > 0 ? loginForm : consentForm;
      if (form === loginForm) {
        await loginForm.locator(s.loginInput).fill(login);
        await loginForm.locator(s.passwordInput).fill("any-password");
        await loginForm.locator(s.submit).click();
      } else if (action === "deny") {
        await page.locator(s.abortLink).first().click();
      } else {
        await consentForm.locator(s.submit).click();
      }
      await form.waitFor({ state: "detached", timeout: 15_000 });
    }
    throw new Error(`the provider flow did not finish; stuck at ${page.url()}`);
  } catch (error) {
    if (!page.isClosed()) throw error;
  }
}

/** A session for the widget test page, minted with the SDK as a backend would. */
async function widgetSession(): Promise<{ token: string }> {
  const session = await vault.createConnectSession({
    allowedProviders: ["idp"],
    allowedOrigin: widgetPage.origin,
  });
  return { token: session.sessionToken };
}

async function openWidgetPage(token: string): Promise<Page> {
  const page = await newPage();
  await page.goto(`${widgetPage.origin}/?vault=${encodeURIComponent(world.baseUrl)}&token=${token}`);
  return page;
}

describe("the example app with the real vault", () => {
  it("button → popup → sign-in at the provider → the page shows the grant (reported by postMessage)", async () => {
    const page = await openExample();
    // Long-polls and the closed-popup check never get an answer: the grant can only arrive
    // through the Connect page's message.
    await page.route(
      (url) => url.pathname.endsWith("/status") && url.searchParams.has("wait"),
      () => undefined,
    );
    const popup = await clickOpen(page, "#connect");
    expect(popup.url()).toMatch(new RegExp(`^${world.baseUrl}/connect/gvcs_[^?]+\\?display=popup$`));
    await connectIn(popup, "approve", "alice");

    await page.waitForSelector("#result:not([hidden])");
    const grantId = (await page.textContent("[data-grant-id]")) ?? "";
    expect(grantId).toMatch(/^grant_/);
    expect(await page.textContent("[data-provider]")).toBe("idp");
    expect(await page.textContent("[data-account]")).toBe("alice@example.test");
    const grant = await vault.getGrant(grantId);
    expect(grant).toMatchObject({ grantId, providerId: "idp", accountIdentifier: "alice@example.test" });

    await closedPage(popup); // the widget closes it if the page did not
    const events = await exampleEvents(page);
    expect(events).toEqual([
      "OPEN",
      "PROVIDER_SELECTED idp",
      "OAUTH_STARTED idp",
      "OAUTH_COMPLETE",
      "success",
    ]);
  });

  it("when the message is lost, the status long-poll reports the grant", async () => {
    // Every message is swallowed before the widget sees it.
    const page = await openExample(
      {},
      "window.addEventListener('message', (event) => event.stopImmediatePropagation(), true)",
    );
    const popup = await clickOpen(page, "#connect");
    await connectIn(popup, "approve", "bob");
    await page.waitForSelector("#result:not([hidden])");
    expect(await page.textContent("[data-account]")).toBe("bob@example.test");
    const events = await exampleEvents(page);
    expect(events).toEqual(["OPEN", "OAUTH_COMPLETE", "success"]);
  });

  it("denied at the provider → access_denied", async () => {
    const page = await openExample();
    const popup = await clickOpen(page, "#connect");
    await connectIn(popup, "deny");
    await page.waitForSelector("#error:not([hidden])");
    expect(await page.getAttribute("#error", "data-error-code")).toBe("access_denied");
    expect(await page.isHidden("#result")).toBe(true);
  });

  it("the user closes the popup → onExit, exactly once", async () => {
    const page = await openExample();
    const popup = await clickOpen(page, "#connect");
    // (The example's CSP forbids evaluating strings: wait with locators.)
    await page
      .locator("#events li")
      .filter({ hasText: /^OPEN$/ })
      .waitFor();
    await popup.close();
    await page
      .locator("#events li")
      .filter({ hasText: /^exit$/ })
      .waitFor();
    await sleep(800); // longer than the widget's closed-popup check: nothing else follows
    expect(await exampleEvents(page)).toEqual(["OPEN", "EXIT", "exit"]);
    expect(await page.isHidden("#error")).toBe(true);
  });

  it("on a phone: the whole page goes to the Connect page and comes back to return_url with the session id and status", async () => {
    const page = await openExample({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const returned = page.waitForRequest((request) => request.url().startsWith(`${example.origin}/?`), {
      timeout: 30_000,
    });
    await page.click("#connect");
    await page.waitForURL(new RegExp(`^${world.baseUrl}/connect/gvcs_[^?]+\\?display=redirect$`));
    await connectIn(page, "approve", "carol");

    const back = new URL((await returned).url());
    expect([...back.searchParams.keys()].sort()).toEqual(["grantvault_session_id", "grantvault_status"]);
    expect(back.searchParams.get("grantvault_status")).toBe("success");
    expect(back.searchParams.get("grantvault_session_id")).toMatch(/^cs_[0-9a-f]{24}$/);
    await page.waitForSelector("#result:not([hidden])");
    expect(await page.textContent("[data-account]")).toBe("carol@example.test");
    expect(await exampleEvents(page)).toEqual(["returned success"]);
  });
});

describe("the widget with the real vault", () => {
  it("ignores a forged OAUTH_COMPLETE from another origin, with the session's real id, then completes for real", async () => {
    const { token } = await widgetSession();
    const page = await openWidgetPage(token);
    const popup = await clickOpen(page);
    const opened = await waitForEvent(page, "OPEN");
    const sessionId = String(opened.session_id);
    expect(sessionId).toMatch(/^cs_[0-9a-f]{24}$/);

    await popup.goto(`${evil.origin}/forge`);
    await postToOpener(
      popup,
      widgetMessage(sessionId, "OAUTH_COMPLETE", {
        results: [
          {
            grant_id: "grant_forged",
            provider_id: "idp",
            account_identifier: "forged@evil.test",
            scopes: [],
            grant_policy: null,
          },
        ],
      }),
    );
    expect((await waitForRawMessage(page, "forged@evil.test")).origin).toBe(evil.origin);
    expect(await terminals(page)).toEqual([]);

    await popup.goto(`${world.baseUrl}/connect/${token}?display=popup`);
    await connectIn(popup, "approve", "dave");
    const [kind, results] = await waitForTerminal(page);
    expect(kind).toBe("success");
    expect(results).toEqual([
      expect.objectContaining({ account_identifier: "dave@example.test", provider_id: "idp" }),
    ]);
    expect(await terminals(page)).toHaveLength(1);
  });

  // The vault must make its 404 for an unknown token readable from any page (there is no session,
  // hence no allowed origin, to answer to): without an Access-Control-Allow-Origin header the
  // widget cannot tell "no such session" from "vault unreachable", and reports network_error.
  it("an unknown token → invalid_token, and the popup is closed", async () => {
    const page = await openWidgetPage(`gvcs_${"0".repeat(43)}`);
    const popup = await clickOpen(page);
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "invalid_token"]);
    await closedPage(popup);
  });

  it("an expired session → session_expired", async () => {
    const { token } = await widgetSession();
    world.vault.clock.advance(11 * 60_000);
    const page = await openWidgetPage(token);
    const popup = await clickOpen(page);
    expect((await waitForTerminal(page)).slice(0, 2)).toEqual(["error", "session_expired"]);
    await closedPage(popup);
  });
});
