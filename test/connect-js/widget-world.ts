import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startAppSite } from "./app-site.js";
import { ensureBundles } from "./bundles.js";
import { launchChromiumWithPopupBlocker, newContext } from "./chromium.js";
import { type FakeVault, startFakeVault } from "./fake-vault.js";
import { type HttpSite, html, serve } from "./http-site.js";

/** What the widget test files share: Chromium (popup blocker on), the app page, a stand-in vault, another site. */
export interface WidgetWorld {
  browser: Browser;
  app: HttpSite;
  vault: FakeVault;
  /** A site on another origin. */
  evil: HttpSite;
  /** A new page in a fresh context (closed after the test). */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** The app page (see startAppSite) for the stand-in vault and `token`. */
  openApp(token: string, query?: string, options?: BrowserContextOptions): Promise<Page>;
}

/** Starts a {@link WidgetWorld} before the file's tests and stops it after them. */
export function useWidgetWorld(): WidgetWorld {
  const contexts: BrowserContext[] = [];
  const world = {} as WidgetWorld;
  beforeAll(async () => {
    await ensureBundles();
    [world.browser, world.app, world.evil] = await Promise.all([
      launchChromiumWithPopupBlocker(),
      startAppSite(),
      serve((_request, response) => html(response, "<p>another site</p>")),
    ]);
    world.vault = await startFakeVault(() => world.app.origin);
  });
  afterEach(async () => {
    world.vault.failNext = 0;
    world.vault.holdPolls = false;
    for (const context of contexts.splice(0)) await context.close();
  });
  afterAll(async () => {
    await world.browser?.close();
    await Promise.all([world.app?.close(), world.vault?.close(), world.evil?.close()]);
  });
  world.newPage = async (options = {}) => {
    const context = await newContext(world.browser, options);
    contexts.push(context);
    return context.newPage();
  };
  world.openApp = async (token, query = "", options = {}) => {
    const page = await world.newPage(options);
    await page.goto(
      `${world.app.origin}/?vault=${encodeURIComponent(world.vault.origin)}&token=${token}${query}`,
    );
    return page;
  };
  return world;
}
