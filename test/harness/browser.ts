import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

/** Flags that work for headless Chromium on these machines (see STACK.md). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The executable to set as `BROWSER`, so the SDK's real opener (`open` → its bundled `xdg-open`)
 * drives Chromium through the Connect flow. Configure it with {@link browserOpenerEnv}.
 */
export const BROWSER_OPENER = fileURLToPath(new URL("./browser-opener.mjs", import.meta.url));

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
}

/** Launches headless Chromium from the system package (a fresh profile each time). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: run \`apt-get update && apt-get install -y --no-install-recommends chromium\` (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** True for URLs on this machine (127.0.0.0/8, localhost, ::1) and for non-network schemes. */
export function isLoopbackUrl(raw: string): boolean {
  const url = new URL(raw);
  if (
    url.protocol !== "http:" &&
    url.protocol !== "https:" &&
    url.protocol !== "ws:" &&
    url.protocol !== "wss:"
  ) {
    return true;
  }
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Opens a page in a new, isolated browser context (own cookies) whose requests to any
 * non-loopback host are aborted (the devInteractions pages import a Google font).
 * Close it with `page.context().close()`.
 */
export async function newPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  await context.route("**/*", (route) =>
    isLoopbackUrl(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
  );
  return context.newPage();
}

export type BrowserOpenerAction =
  | "approve"
  | "deny-at-provider"
  | "cancel-on-connect-page"
  | "ignore"
  | "fail";

/**
 * Environment for a process whose browser opener should run {@link BROWSER_OPENER}. `open` passes
 * its own environment to `xdg-open`, which runs `$BROWSER <url>` when no desktop is detected, so
 * the process must not have DISPLAY, WAYLAND_DISPLAY or XDG_CURRENT_DESKTOP set.
 */
export function browserOpenerEnv(options: {
  provider: string;
  logFile: string;
  login?: string;
  action?: BrowserOpenerAction;
}): Record<string, string> {
  return {
    BROWSER: BROWSER_OPENER,
    GV_BROWSER_PROVIDER: options.provider,
    GV_BROWSER_LOG: options.logFile,
    GV_BROWSER_LOGIN: options.login ?? "alice",
    GV_BROWSER_ACTION: options.action ?? "approve",
    ...(process.env.CHROMIUM_PATH ? { CHROMIUM_PATH: process.env.CHROMIUM_PATH } : {}),
  };
}
