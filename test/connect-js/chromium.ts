import { type Browser, type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";
import { CHROMIUM_ARGS, chromiumPath, isLoopbackUrl } from "../harness/browser.js";

/**
 * Headless Chromium from the system package, with its popup blocker ON (Playwright turns it off by
 * default): a popup opened outside a user gesture is blocked as in a user's browser.
 */
export function launchChromiumWithPopupBlocker(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
    ignoreDefaultArgs: ["--disable-popup-blocking"],
  });
}

/** A fresh context whose requests to non-loopback hosts are aborted. Close it when done. */
export async function newContext(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext(options);
  await context.route("**/*", (route) =>
    isLoopbackUrl(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
  );
  return context;
}
