import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type {
  ConnectResultBody,
  ConnectSessionResponse,
  ConnectSessionStatus,
  WidgetMessage,
} from "@grantvault/protocol";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";
import { afterAll, afterEach, beforeAll } from "vitest";
import { CHROMIUM_ARGS, chromiumPath, isLoopbackUrl } from "../harness/browser.js";

export const PACKAGE_DIR = fileURLToPath(new URL("../../packages/connect-js/", import.meta.url));
export const BUILD_SCRIPT = `${PACKAGE_DIR}scripts/build.mjs`;
export const BUNDLES = {
  esm: `${PACKAGE_DIR}dist/grantvault-connect.mjs`,
  umd: `${PACKAGE_DIR}dist/grantvault-connect.umd.js`,
} as const;

/**
 * Builds the bundles when they are missing or older than a source file (`npm test` builds them in
 * `pretest`; this covers `npx vitest run test/connect-js` after an edit). The build writes
 * atomically, so test files building at once do not see half a file.
 */
export async function ensureBundles(): Promise<void> {
  const sources = await readdir(`${PACKAGE_DIR}src`);
  const newestSource = Math.max(...sources.map((name) => statSync(`${PACKAGE_DIR}src/${name}`).mtimeMs));
  const stale = Object.values(BUNDLES).some(
    (file) => !existsSync(file) || statSync(file).mtimeMs < newestSource,
  );
  if (!stale) return;
  const run = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`connect-js build failed:\n${run.stdout}\n${run.stderr}`);
}

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

export interface HttpSite {
  origin: string;
  close(): Promise<void>;
}

/** A loopback HTTP server on a free port (its own origin). */
export async function serve(
  handler: (request: IncomingMessage, response: ServerResponse, url: URL) => void | Promise<void>,
): Promise<HttpSite> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    Promise.resolve(handler(request, response, url)).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function html(response: ServerResponse, body: string, status = 200): void {
  response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  response.end(`<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`);
}

function sendBundle(response: ServerResponse, file: string): void {
  response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" });
  response.end(readFileSync(file));
}

/**
 * The app page of the widget tests: loads the UMD bundle, creates a widget for `?vault=`, and
 * records every callback in `log`, every `message` event in `raw` (a listener registered before the
 * widget's, so once a message is in `raw` the widget has seen it too) and every `window.open` call in
 * `opens`. `#open` opens the widget with `window.token` (`?token=`); `?auto` opens it while the page
 * loads, outside any user gesture. (Playwright's evaluate() counts as a user gesture, so the
 * auto-open must happen before the test's first evaluate.) `/return` shows what `readReturn()` makes of its URL; `/esm` loads the
 * ESM build.
 */
export async function startAppSite(): Promise<HttpSite> {
  return serve((_request, response, url) => {
    if (url.pathname === "/grantvault-connect.umd.js") return sendBundle(response, BUNDLES.umd);
    if (url.pathname === "/grantvault-connect.mjs") return sendBundle(response, BUNDLES.esm);
    if (url.pathname === "/return") {
      return html(
        response,
        `<script src="/grantvault-connect.umd.js"></script><pre id="return"></pre>
<script>document.getElementById("return").textContent = JSON.stringify(GrantvaultConnect.readReturn());</script>`,
      );
    }
    if (url.pathname === "/esm") {
      return html(
        response,
        `<pre id="esm"></pre><script type="module">
import GrantvaultConnect, { create, readReturn, VERSION } from "/grantvault-connect.mjs";
const widget = GrantvaultConnect.create({ baseUrl: "http://127.0.0.1:1" });
document.getElementById("esm").textContent = JSON.stringify({
  same: create === GrantvaultConnect.create && readReturn === GrantvaultConnect.readReturn,
  version: VERSION,
  methods: Object.keys(widget).sort(),
  ret: readReturn("https://app.example/done?grantvault_session_id=cs_1&grantvault_status=denied"),
});
</script>`,
      );
    }
    if (url.pathname !== "/") return html(response, "not found", 404);
    return html(
      response,
      `<button id="open">Connect an account</button>
<script src="/grantvault-connect.umd.js"></script>
<script>
const q = new URLSearchParams(location.search);
window.log = []; window.raw = []; window.opens = [];
addEventListener("message", (e) => raw.push({ origin: e.origin, data: e.data }));
const realOpen = window.open;
window.open = function (...args) { opens.push(args.map(String)); return realOpen.apply(this, args); };
window.token = q.get("token");
window.widget = GrantvaultConnect.create({ baseUrl: q.get("vault"), debug: q.has("debug") });
window.openWidget = () => {
  const before = opens.length;
  widget.open({
    token: window.token,
    onSuccess: (results) => log.push(["success", results]),
    onError: (error) => log.push(["error", error.code, error.message, error.name, error instanceof Error]),
    onExit: () => log.push(["exit"]),
    onEvent: (name, metadata) => log.push(["event", name, metadata]),
  });
  log.push(["window.open calls during open()", opens.length - before]);
};
document.getElementById("open").addEventListener("click", () => openWidget());
if (q.has("auto")) openWidget();
</script>`,
    );
  });
}

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

interface FakeSession {
  token: string;
  sessionId: string;
  status: ConnectSessionStatus;
  results: ConnectResultBody[] | null;
  error: ConnectSessionResponse["error"];
}

/**
 * A stand-in for the vault's side of the widget contract, for the widget's own tests: the Connect
 * page (a blank page that records `?display=`), and `GET /connect/<token>/status[?wait=N]` with CORS
 * for the app's origin, long-polling like the real one. Tests move sessions along with `update()`,
 * make status requests fail with `failNext`, or stop answering long-polls with `holdPolls` (as if the
 * vault were slow, so only the message or the final check can deliver a result).
 */
export interface FakeVault extends HttpSite {
  add(status?: ConnectSessionStatus): FakeSession;
  update(token: string, patch: Partial<FakeSession>): void;
  /** Every status request: path and query. */
  statusRequests: string[];
  failNext: number;
  holdPolls: boolean;
}

export async function startFakeVault(appOrigin: () => string): Promise<FakeVault> {
  const sessions = new Map<string, FakeSession>();
  const waiters = new Set<() => void>();
  let counter = 0;
  const state = { failNext: 0, holdPolls: false };
  const statusRequests: string[] = [];

  const site = await serve(async (request, response, url) => {
    const status = /^\/connect\/([^/]+)\/status$/.exec(url.pathname);
    if (status) {
      statusRequests.push(`${url.pathname}${url.search}`);
      if (state.failNext > 0) {
        state.failNext--;
        request.socket.destroy();
        return;
      }
      const session = sessions.get(decodeURIComponent(status[1] ?? ""));
      const headers = {
        "content-type": "application/json",
        "cache-control": "no-store",
        "access-control-allow-origin": session ? appOrigin() : "*",
      };
      if (!session) {
        response.writeHead(404, headers);
        response.end(JSON.stringify({ error: { code: "not_found", message: "No such session." } }));
        return;
      }
      const wait = Number(url.searchParams.get("wait") ?? 0);
      if (wait > 0 && (state.holdPolls || session.status === "pending")) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            if (state.holdPolls) return;
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(
            () => {
              waiters.delete(wake);
              resolve();
            },
            state.holdPolls ? 60_000 : wait * 1000,
          );
          waiters.add(wake);
          request.socket.once("close", () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          });
        });
        if (request.socket.destroyed) return;
      }
      const body: ConnectSessionResponse = {
        session_id: session.sessionId,
        status: session.status,
        expires_at: new Date(Date.now() + 600_000).toISOString(),
        results: session.results,
        error: session.error,
      };
      response.writeHead(200, headers);
      response.end(JSON.stringify(body));
      return;
    }
    const page = /^\/connect\/([^/]+)$/.exec(url.pathname);
    if (page) {
      const display = url.searchParams.get("display") ?? "";
      if (display === "redirect") {
        // The real vault shows the Connect page and, at the end, sends the browser to return_url.
        const back = new URL("/return", appOrigin());
        back.searchParams.set(
          "grantvault_session_id",
          sessions.get(page[1] ?? "")?.sessionId ?? "cs_unknown",
        );
        back.searchParams.set("grantvault_status", "success");
        return html(
          response,
          `<p id="display">redirect</p><a id="finish" href="${back.href.replace(/&/g, "&amp;")}">finish</a>`,
        );
      }
      return html(response, `<p id="display">${display.replace(/[^a-z]/g, "")}</p>`);
    }
    return html(response, `<p id="blank">${url.pathname.replace(/[^a-z/]/g, "")}</p>`);
  });

  return {
    ...site,
    statusRequests,
    get failNext() {
      return state.failNext;
    },
    set failNext(value: number) {
      state.failNext = value;
    },
    get holdPolls() {
      return state.holdPolls;
    },
    set holdPolls(value: boolean) {
      state.holdPolls = value;
      if (!value) for (const wake of [...waiters]) wake();
    },
    add(status = "pending") {
      counter++;
      const session: FakeSession = {
        token: `gvcs_test${counter}_${Math.random().toString(36).slice(2)}`,
        sessionId: `cs_${counter.toString(16).padStart(24, "0")}`,
        status,
        results: null,
        error: null,
      };
      sessions.set(session.token, session);
      return session;
    },
    update(token, patch) {
      const session = sessions.get(token);
      if (!session) throw new Error("unknown fake session");
      Object.assign(session, patch);
      for (const wake of [...waiters]) wake();
    },
  };
}

export function grantResult(account: string): ConnectResultBody {
  return {
    grant_id: `grant_${"ab".repeat(12)}`,
    provider_id: "idp",
    account_identifier: account,
    scopes: ["openid", "email"],
    grant_policy: null,
  };
}

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
