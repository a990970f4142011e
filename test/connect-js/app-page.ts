import type { WidgetMessage } from "@grantvault/protocol";
import type { Page } from "playwright-core";

/*
 * Reading and driving the app page of the widget tests (see startAppSite in app-site.ts): its
 * callback log, the widget's events, and messages posted to it.
 */

export type LogEntry = [string, ...unknown[]];

/** The app page's callback log. */
export function widgetLog(page: Page): Promise<LogEntry[]> {
  return page.evaluate("window.log") as Promise<LogEntry[]>;
}

/** The terminal callbacks (success, error, exit) in the log. */
export async function terminals(page: Page): Promise<LogEntry[]> {
  return (await widgetLog(page)).filter(
    ([kind]) => kind === "success" || kind === "error" || kind === "exit",
  );
}

/** Waits for the first terminal callback and returns it. */
export async function waitForTerminal(page: Page, timeoutMs = 20_000): Promise<LogEntry> {
  try {
    await page.waitForFunction(
      "window.log.some(([kind]) => kind === 'success' || kind === 'error' || kind === 'exit')",
      undefined,
      { timeout: timeoutMs, polling: 50 },
    );
  } catch (error) {
    throw new Error(`no terminal callback; the log: ${JSON.stringify(await widgetLog(page))}`, {
      cause: error,
    });
  }
  const [first] = await terminals(page);
  if (!first) throw new Error("no terminal callback");
  return first;
}

/** Waits until the widget reported `name` through onEvent; returns its metadata. */
export async function waitForEvent(
  page: Page,
  name: string,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  await page.waitForFunction(
    `window.log.some(([kind, n]) => kind === "event" && n === ${JSON.stringify(name)})`,
    undefined,
    { timeout: timeoutMs, polling: 50 },
  );
  const entry = (await widgetLog(page)).find(([kind, n]) => kind === "event" && n === name);
  return entry?.[2] as Record<string, unknown>;
}

/** Resolves once `page` is closed (at once when it already is). */
export async function closedPage(page: Page): Promise<void> {
  if (!page.isClosed()) await page.waitForEvent("close");
}

/** Posts `message` from `from` (a popup, frame or page) to its opener or parent, with target `*`. */
export async function postToOpener(
  from: Page | import("playwright-core").Frame,
  message: unknown,
  to: "opener" | "parent" = "opener",
): Promise<void> {
  await from.evaluate(`window.${to}.postMessage(${JSON.stringify(message)}, "*")`);
}

/** Waits until the app page's own `message` listener has seen a message matching `field=value` in data. */
export async function waitForRawMessage(page: Page, marker: string): Promise<{ origin: string }> {
  await page.waitForFunction(
    `window.raw.some((m) => JSON.stringify(m.data).includes(${JSON.stringify(marker)}))`,
    undefined,
    { timeout: 10_000, polling: 50 },
  );
  const raw = (await page.evaluate("window.raw")) as { origin: string; data: unknown }[];
  const found = raw.find((m) => JSON.stringify(m.data).includes(marker));
  if (!found) throw new Error(`message ${marker} not seen`);
  return found;
}

export function widgetMessage(
  sessionId: string,
  event: WidgetMessage["event"],
  extra: Partial<WidgetMessage> = {},
): WidgetMessage {
  return { type: "grantvault:connect", version: 1, session_id: sessionId, event, ...extra };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Clicks the page's button (a real user gesture) and returns the popup the widget opened. */
export async function clickOpen(page: Page, selector = "#open"): Promise<Page> {
  const popup = page.waitForEvent("popup");
  await page.click(selector);
  return popup;
}

/** Waits a little longer than the widget's closed-popup check, then expects exactly one terminal callback. */
export async function expectOneTerminal(page: Page): Promise<void> {
  await sleep(800);
  const all = await terminals(page);
  if (all.length !== 1) throw new Error(`expected one terminal callback, got ${JSON.stringify(all)}`);
  if ((await page.evaluate("widget.isOpen()")) !== false) throw new Error("the widget is still open");
}
