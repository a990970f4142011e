/**
 * Connect.js: opens the vault's hosted Connect page for a connect session and reports the result.
 *
 * Desktop: a centred popup on `<baseUrl>/connect/<token>?display=popup`. The page posts
 * `WidgetMessage`s to this window; a message counts only when it comes from the vault's origin,
 * from the popup this instance opened, and names the session this instance opened. The widget also
 * long-polls `<baseUrl>/connect/<token>/status`, so a lost message or a closed popup is noticed.
 * Small screens: the whole page goes to `?display=redirect` and comes back to the session's
 * `return_url` (read it with `readReturn()`, in return-url.ts).
 *
 * The contract lives in `@grantvault/protocol` (connect-widget.ts); only its types are imported,
 * so the bundle carries no runtime dependency.
 */
import type {
  ConnectResultBody,
  ConnectSessionResponse,
  WidgetErrorCode,
  WidgetEventName,
  WidgetMessage,
} from "@grantvault/protocol";
import { ERROR_CODES, MESSAGE_TYPE } from "./contract.js";
import { call, connectError } from "./report.js";
import type { CreateOptions, EventHandler, EventMetadata, GrantvaultConnect, OpenOptions } from "./types.js";

const POPUP_WIDTH = 500;
const POPUP_HEIGHT = 700;
const SMALL_SCREEN_PX = 640;
const SMALL_SCREEN = `(max-width: ${SMALL_SCREEN_PX}px)`;
/** Seconds the vault may hold a status request while the session is pending. */
const LONG_POLL_SECONDS = 25;
/** Retries of a failed status request (after 0.5, 1, 2, 4 s) before `network_error`. */
const MAX_FAILURES = 4;
const CLOSED_POLL_MS = 500;

interface Run {
  options: OpenOptions;
  popup: Window | null;
  statusUrl: string;
  sessionId?: string;
  done?: boolean;
  /** The popup was seen closed; the final status check is running. */
  closing?: boolean;
  timer?: ReturnType<typeof setInterval>;
  abort: AbortController;
}

const LOG_PREFIX = "[Grantvault Connect]";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function create(options: CreateOptions): GrantvaultConnect {
  const base = String(options?.baseUrl ?? "").replace(/\/+$/, "");
  let vault: URL | undefined;
  try {
    vault = new URL(base);
  } catch {}
  if (!vault || !/^https?:$/.test(vault.protocol)) {
    throw new TypeError("GrantvaultConnect.create: baseUrl must be the vault's http(s) URL");
  }
  const origin = vault.origin;
  const debug = options.debug === true;
  const handlers: { [name: string]: EventHandler[] } = {};
  let run: Run | undefined;
  let destroyed = false;

  const log = (...args: unknown[]) => {
    if (debug) console.log(LOG_PREFIX, ...args);
  };

  function emit(r: Run | { options: OpenOptions; sessionId?: string }, name: WidgetEventName, extra = {}) {
    const metadata: EventMetadata = {
      timestamp: new Date().toISOString(),
      ...(r.sessionId ? { session_id: r.sessionId } : {}),
      ...extra,
    };
    log("event", name, metadata);
    for (const handler of (handlers[name] ?? []).slice()) call(handler, metadata, name);
    call(r.options.onEvent, name, metadata);
  }

  /** Ends a run: no callback, message or status answer counts for it afterwards. */
  function end(r: Run): boolean {
    if (r.done) return false;
    r.done = true;
    if (run === r) run = undefined;
    clearInterval(r.timer);
    r.abort.abort();
    try {
      if (r.popup && !r.popup.closed) r.popup.close();
    } catch {}
    return true;
  }

  function succeed(r: Run, results: ConnectResultBody[]) {
    if (!end(r)) return;
    emit(r, "OAUTH_COMPLETE", { status: "success" });
    log("connected", results.length, "account(s)");
    call(r.options.onSuccess, results);
  }

  function fail(r: Run, code: WidgetErrorCode, message: string) {
    if (!end(r)) return;
    if (code === "access_denied" || code === "provider_error") {
      emit(r, "OAUTH_COMPLETE", { status: "error", error_code: code });
    }
    log("error", code, message);
    call(r.options.onError, connectError(code, message));
  }

  /** Acts on a session status; true when it ended the run. `final`: the popup is gone. */
  function settle(r: Run, session: ConnectSessionResponse, final = false): boolean {
    const why = session.error?.message;
    switch (session.status) {
      case "completed":
        // A success names its grants, as the Connect page's message must: none is no success.
        if (session.results?.length) succeed(r, session.results);
        else fail(r, "provider_error", "The vault reported no grant for this connection.");
        return true;
      case "denied":
        fail(r, "access_denied", why ?? "The connection was declined.");
        return true;
      case "failed":
        fail(r, "provider_error", why ?? "The provider could not complete the connection.");
        return true;
      case "expired":
        if (final) return false;
        fail(r, "session_expired", "This Connect session has expired; start again.");
        return true;
    }
    return false;
  }

  /** Reads the session's status until it ends (long-poll), retrying network failures with backoff. */
  async function watch(r: Run) {
    let failures = 0;
    while (!r.done && !r.closing) {
      const waited = r.sessionId !== undefined;
      const started = Date.now();
      let session: ConnectSessionResponse;
      try {
        const response = await fetch(waited ? `${r.statusUrl}?wait=${LONG_POLL_SECONDS}` : r.statusUrl, {
          signal: r.abort.signal,
          credentials: "omit",
          cache: "no-store",
        });
        if (response.status === 404 || response.status === 410) {
          const body = await response.json().catch(() => null);
          const code: unknown = body?.error?.code;
          if (response.status === 410 || (typeof code === "string" && code.includes("expired"))) {
            return fail(r, "session_expired", "This Connect session has expired; start again.");
          }
          return fail(r, "invalid_token", "This Connect session does not exist.");
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        session = await response.json();
      } catch (error) {
        if (r.done || r.closing) return;
        log("status request failed:", (error as Error)?.message);
        if (++failures > MAX_FAILURES) return fail(r, "network_error", "Could not reach the vault.");
        await sleep(250 * 2 ** failures);
        continue;
      }
      failures = 0;
      if (r.done) return;
      if (!r.sessionId) {
        r.sessionId = session.session_id;
        if (session.status === "pending") emit(r, "OPEN", { display: "popup" });
      }
      if (settle(r, session) || r.closing) return;
      // A vault that cannot hold the request answers at once: poll gently instead of spinning.
      if (waited && Date.now() - started < 1000) await sleep(2000);
    }
  }

  /** The popup is gone: one last look at the session, then `onExit` unless it finished meanwhile. */
  async function closed(r: Run) {
    r.closing = true;
    clearInterval(r.timer);
    r.abort.abort();
    const abort = new AbortController();
    r.abort = abort;
    const timeout = setTimeout(() => abort.abort(), 5000);
    log("popup closed; checking the session once more");
    try {
      const response = await fetch(`${r.statusUrl}?wait=0`, {
        signal: abort.signal,
        credentials: "omit",
        cache: "no-store",
      });
      if (response.ok && settle(r, await response.json(), true)) return;
    } catch {
    } finally {
      clearTimeout(timeout);
    }
    if (!end(r)) return;
    emit(r, "EXIT");
    call(r.options.onExit);
  }

  function onMessage(event: MessageEvent) {
    const r = run;
    if (!r?.sessionId || r.done || event.origin !== origin || event.source !== r.popup) return;
    const data = event.data as Partial<WidgetMessage> | null;
    if (!data || data.type !== MESSAGE_TYPE || data.session_id !== r.sessionId) return;
    log("message", data.event);
    if (data.event === "OAUTH_COMPLETE") {
      if (Array.isArray(data.results) && data.results.length > 0) return succeed(r, data.results);
      const code = data.error?.code;
      fail(
        r,
        code && ERROR_CODES.includes(code) ? code : "provider_error",
        String(data.error?.message ?? "The connection did not complete."),
      );
    } else if (data.event === "PROVIDER_SELECTED" || data.event === "OAUTH_STARTED") {
      emit(r, data.event, typeof data.provider === "string" ? { provider: data.provider } : {});
    }
  }
  window.addEventListener("message", onMessage);

  const instance: GrantvaultConnect = {
    open(openOptions) {
      if (destroyed) throw new Error("GrantvaultConnect: this instance was destroyed");
      if (typeof openOptions?.token !== "string" || !openOptions.token) {
        throw new TypeError("GrantvaultConnect.open: `token` (the session token) is required");
      }
      if (typeof openOptions.onSuccess !== "function") {
        throw new TypeError("GrantvaultConnect.open: `onSuccess` must be a function");
      }
      if (run) {
        log("already open");
        run.popup?.focus();
        return;
      }
      // The token is a bearer secret: it goes into URLs, never into logs.
      const page = `${base}/connect/${encodeURIComponent(openOptions.token)}`;
      // A phone: the page is narrow, or the screen is (a page without a viewport meta tag lays
      // itself out 980 px wide even on a phone).
      if (
        typeof window.open !== "function" ||
        window.matchMedia?.(SMALL_SCREEN).matches ||
        screen.width <= SMALL_SCREEN_PX
      ) {
        log("small screen: redirecting to", `${base}/connect/…`);
        emit({ options: openOptions }, "OPEN", { display: "redirect" });
        location.assign(`${page}?display=redirect`);
        return;
      }
      const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - POPUP_WIDTH) / 2));
      const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - POPUP_HEIGHT) / 2));
      let popup: Window | null = null;
      try {
        popup = window.open(
          `${page}?display=popup`,
          "grantvault_connect",
          `popup=yes,width=${POPUP_WIDTH},height=${POPUP_HEIGHT},left=${left},top=${top}`,
        );
      } catch {}
      const r: Run = {
        options: openOptions,
        popup,
        statusUrl: `${page}/status`,
        abort: new AbortController(),
      };
      if (!popup || popup.closed) {
        return fail(
          r,
          "popup_blocked",
          "The browser blocked the popup; allow popups for this site and try again.",
        );
      }
      log("popup opened on", `${base}/connect/…`);
      run = r;
      try {
        popup.focus();
      } catch {}
      r.timer = setInterval(() => {
        if (!r.closing && popup.closed) void closed(r);
      }, CLOSED_POLL_MS);
      void watch(r);
    },
    close() {
      if (run) {
        log("closed by the app");
        end(run);
      }
    },
    destroy() {
      instance.close();
      window.removeEventListener("message", onMessage);
      for (const name of Object.keys(handlers)) delete handlers[name];
      destroyed = true;
    },
    isOpen: () => run !== undefined,
    on(name, handler) {
      const list = handlers[name] ?? [];
      handlers[name] = list;
      if (!list.includes(handler)) list.push(handler);
    },
    off(name, handler) {
      handlers[name] = (handlers[name] ?? []).filter((h) => h !== handler);
    },
  };
  return instance;
}
