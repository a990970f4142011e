import type { ConnectResultBody, ConnectSessionResponse, ConnectSessionStatus } from "@grantvault/protocol";
import { type HttpSite, html, serve } from "./http-site.js";

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
