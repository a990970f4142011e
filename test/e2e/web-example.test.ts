import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningExample, startExample } from "../../examples/web/server.mjs";
import { Vault } from "../../packages/sdk/src/index.js";
import { ensureBundles } from "../connect-js/bundles.js";
import { isLoopbackUrl, launchBrowser } from "../harness/browser.js";
import { CONNECT_PAGE_SELECTORS, DEV_INTERACTION_SELECTORS } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

/*
 * The web example (examples/web) run for real, over and over, as issue 14 asked: its server
 * minting sessions from a real vault (SQLite, HTTP on loopback), node-oidc-provider's sign-in, and
 * headless Chromium. Once in 18 redirect runs the page said "Nothing was connected. (success)":
 * the return page read its result with a cookie naming the latest session, which the session the
 * page minted meanwhile had just replaced; every redirect run here forces that order. Each run
 * starts with no cookies and signs in as a new account, so each must show and create its own
 * grant. Runs go in a few lanes at once: most of a run is waiting on pages, and several flows at
 * once is what a real app's backend sees anyway.
 */

/**
 * Runs of each flow, three per lane. The race showed once in 18 runs by chance; here every
 * redirect run forces its order, so each run checks it, and more runs only cost suite time.
 */
const RUNS = 12;
const LANES = 4;
/** A phone: the widget sends the whole page to the Connect page and back (redirect mode). */
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
};

let world: ConnectWorld;
let browser: Browser;
let example: RunningExample;
let vault: Vault;

beforeAll(async () => {
  await ensureBundles();
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
  example = await startExample({
    apiKey: world.apiKey,
    vaultUrl: world.baseUrl,
    port: 0,
    providers: ["idp"],
  });
  await world.vault.store.apps.setAllowedOrigins(world.appId, [example.origin]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
});
afterAll(async () => {
  await browser?.close();
  await example?.close();
  await world?.stop();
});

/**
 * Runs `run(page, 1..RUNS)` in LANES lanes at once, each lane one run after the other in its own
 * browser context and page. Each run starts with no cookies, as a new visitor: the example knows
 * a new browser, and the provider asks who signs in. (A new context per run costs seconds on a
 * loaded machine: a new renderer process each time.)
 */
async function inLanes(options: BrowserContextOptions, run: (page: Page, index: number) => Promise<void>) {
  let next = 1;
  await Promise.all(
    Array.from({ length: LANES }, async () => {
      const context = await browser.newContext(options);
      try {
        await context.route("**/*", (route) =>
          isLoopbackUrl(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
        );
        const page = await context.newPage();
        while (next <= RUNS) {
          const index = next++;
          await context.clearCookies();
          await run(page, index);
        }
      } finally {
        await context.close();
      }
    }),
  );
}

/** The example page, once its backend has minted the session the button opens. */
async function openExample(page: Page): Promise<void> {
  await page.goto(example.origin);
  await page.locator("#connect:enabled").waitFor();
}

/**
 * On the Connect page: picks the test IdP, signs in as `login` and approves, until the vault's
 * result page or the example page shows. A popup closes itself at the end: that is done too.
 * (The harness's loginAndConsent leaves a navigation wait behind when the page closes.)
 */
async function connectAs(page: Page, login: string): Promise<void> {
  const s = DEV_INTERACTION_SELECTORS;
  const loginForm = page.locator(s.loginForm);
  const consentForm = page.locator(s.consentForm);
  const done = page.locator(`${CONNECT_PAGE_SELECTORS.result}, #events`);
  try {
    await page.locator(CONNECT_PAGE_SELECTORS.providerButton("idp")).click();
    for (let step = 0; step < 4; step++) {
      await loginForm.or(consentForm).or(done).first().waitFor({ timeout: 20_000 });
      if ((await done.count()) > 0) return;
      const form = (await loginForm.count()) > 0 ? loginForm : consentForm;
      if (form === loginForm) {
        await loginForm.locator(s.loginInput).fill(login);
        await loginForm.locator(s.passwordInput).fill("any-password");
      }
      await form.locator(s.submit).click();
      await form.waitFor({ state: "detached", timeout: 20_000 });
    }
    throw new Error(`the provider flow did not finish; stuck at ${page.url()}`);
  } catch (error) {
    if (!page.isClosed()) throw error;
  }
}

/**
 * What the example page shows once the flow ended: the connected account, or what went wrong
 * (a wrong outcome fails with the page's own words, not with a timeout).
 */
async function shownOutcome(page: Page, run: number): Promise<{ grantId: string; account: string }> {
  await page.locator("#result:not([hidden]), #error:not([hidden])").first().waitFor({ timeout: 20_000 });
  const error = page.locator("#error:not([hidden])");
  if ((await error.count()) > 0) {
    const events = await page.locator("#events li").allTextContents();
    throw new Error(
      `run ${run}: the example showed ${await error.textContent()} (events: ${events.join(", ")})`,
    );
  }
  return {
    grantId: (await page.textContent("[data-grant-id]")) ?? "",
    account: (await page.textContent("[data-account]")) ?? "",
  };
}

/** The page showed this run's account, and its grant exists at the vault for that account. */
async function expectConnected(shown: { grantId: string; account: string }, login: string): Promise<void> {
  expect(shown.account, login).toBe(`${login}@example.test`);
  expect(shown.grantId, login).toMatch(/^grant_/);
  expect(await vault.getGrant(shown.grantId)).toMatchObject({
    grantId: shown.grantId,
    providerId: "idp",
    accountIdentifier: `${login}@example.test`,
  });
}

/**
 * Back on the example page, the page reads the session's result and mints the next session at
 * once. Holds the read until the next session is minted: the order that broke the page once in
 * 18 runs (the mint replaced the cookie the read needed), made to happen every run.
 */
async function readResultAfterNextSession(page: Page): Promise<void> {
  const minted = page.waitForResponse(
    (response) => new URL(response.url()).pathname === "/api/connect-session",
    { timeout: 60_000 },
  );
  await page.route(
    (url) => url.origin === example.origin && url.pathname === "/api/connect-result",
    async (route) => {
      await (await minted).finished();
      await route.continue();
    },
    { times: 1 },
  );
}

describe("the web example, run after run", () => {
  it(`popup: ${RUNS} runs, each showing the connected account and its grant`, async () => {
    await inLanes({}, async (page, run) => {
      const login = `popup${run}`;
      await openExample(page);
      const opened = page.waitForEvent("popup");
      await page.click("#connect");
      await connectAs(await opened, login);
      await expectConnected(await shownOutcome(page, run), login);
    });
  }, 180_000);

  it(`redirect: ${RUNS} runs, each back on the page with the connected account and its grant`, async () => {
    await inLanes(PHONE, async (page, run) => {
      const login = `redirect${run}`;
      await openExample(page);
      await page.click("#connect");
      await readResultAfterNextSession(page);
      await page.waitForURL((url) => url.href.startsWith(`${world.baseUrl}/connect/`));
      await connectAs(page, login);
      const shown = await shownOutcome(page, run);
      expect(await page.locator("#events li").allTextContents()).toEqual(["returned success"]);
      await expectConnected(shown, login);
    });
  }, 180_000);
});
