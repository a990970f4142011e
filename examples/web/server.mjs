// A one-page web app that connects an account through Grantvault with the Connect.js widget.
//
//   npm run example:web      (then open http://127.0.0.1:3000)
//
// The backend holds the vault API key and mints one connect session per click; the browser only
// ever sees the session token. Settings: GRANTVAULT_API_KEY and GRANTVAULT_URL (default: the local
// vault's, from its .grantvault/credentials.json in this folder or above), PORT (default 3000), HOST (default 127.0.0.1), PROVIDERS (comma-separated
// provider ids the user may choose from; default: all the vault offers).
import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Vault } from "grantvault";

const here = new URL("./", import.meta.url);
const WIDGET = fileURLToPath(new URL("../../packages/connect-js/dist/grantvault-connect.umd.js", here));
/**
 * Who this browser is, as a real app's sign-in cookie would say: set once, when the page loads.
 * Sessions belong to it, not to "the latest session": the page mints the next session while it
 * reads the last one's result (and other tabs mint theirs), so a cookie naming the latest session
 * was replaced before the result was read, and the page said "Nothing was connected" (issue 14).
 */
const BROWSER_COOKIE = "example_browser";
/** How long the sessions a browser started can be read (theirs expire after 10 minutes). */
const SESSION_MEMORY_MS = 60 * 60_000;
const MAX_REMEMBERED_SESSIONS = 10_000;

/**
 * Starts the example. Resolves once it listens, with its origin (the `allowedOrigin` of every
 * session it creates) and a `close()`.
 */
export async function startExample({
  apiKey = process.env.GRANTVAULT_API_KEY,
  vaultUrl = process.env.GRANTVAULT_URL,
  host = process.env.HOST ?? "127.0.0.1",
  port = Number(process.env.PORT ?? 3000),
  providers = process.env.PROVIDERS?.split(",").filter(Boolean),
} = {}) {
  // Without a key or URL, the SDK takes the local vault's (its .grantvault/credentials.json).
  const vault = new Vault({ apiKey, baseUrl: vaultUrl });
  const vaultOrigin = new URL(vault.baseUrl).origin;
  const page = await readFile(new URL("index.html", here), "utf8");
  const script = await readFile(new URL("app.js", here), "utf8");
  let origin = "";
  /** Session id → the browser that started it (oldest first), for `/api/connect-result`. */
  const startedBy = new Map();

  function remember(sessionId, browser) {
    const now = Date.now();
    for (const [id, entry] of startedBy) {
      if (now - entry.at < SESSION_MEMORY_MS && startedBy.size < MAX_REMEMBERED_SESSIONS) break;
      startedBy.delete(id);
    }
    startedBy.set(sessionId, { browser, at: now });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => {
      console.error("example:", error);
      if (!response.headersSent) send(response, 500, { error: "internal error" });
      else response.end();
    });
  });

  async function handle(request, response) {
    const url = new URL(request.url ?? "/", origin);
    // Sessions name this exact origin; http://localhost:3000 would be another one.
    if (request.headers.host !== new URL(origin).host) {
      response.writeHead(308, { location: new URL(url.pathname + url.search, origin).href });
      return response.end();
    }

    if (request.method === "GET" && url.pathname === "/") {
      const html = page.replaceAll("{{VAULT_URL}}", escapeHtml(vaultUrl));
      return sendText(response, 200, "text/html", html, {
        ...(browserOf(request)
          ? {}
          : {
              "set-cookie": `${BROWSER_COOKIE}=${randomBytes(18).toString("base64url")}; Path=/; HttpOnly; SameSite=Lax`,
            }),
        // The widget fetches the session's status from the vault: connect-src must allow it.
        "content-security-policy": `default-src 'self'; connect-src 'self' ${vaultOrigin}; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'`,
      });
    }
    if (request.method === "GET" && url.pathname === "/app.js") {
      return sendText(response, 200, "text/javascript", script);
    }
    if (request.method === "GET" && url.pathname === "/grantvault-connect.umd.js") {
      const widget = await readFile(WIDGET, "utf8").catch(() => null);
      if (widget === null) {
        return sendText(response, 500, "text/plain", "connect-js is not built: run `npm run build`\n");
      }
      return sendText(response, 200, "text/javascript", widget);
    }

    if (request.method === "POST" && url.pathname === "/api/connect-session") {
      // Only this app's own page may mint sessions (a real app would also check its signed-in user).
      if (request.headers.origin !== origin) return send(response, 403, { error: "cross-origin request" });
      const browser = browserOf(request);
      if (!browser) {
        return send(response, 403, {
          error: "no_browser_cookie",
          message: "reload the page (it sets a cookie)",
        });
      }
      let session;
      try {
        session = await vault.createConnectSession({
          ...(providers?.length ? { allowedProviders: providers } : {}),
          allowedOrigin: origin,
          // Small screens leave the page and come back here (see readReturn() in app.js).
          returnUrl: `${origin}/`,
        });
      } catch (error) {
        // E.g. origin_not_allowed: the operator has not allowed this origin for the app yet.
        console.error(`example: the vault refused a connect session: ${error.message}`);
        return send(response, 502, { error: error.code ?? "vault_error", message: error.message });
      }
      remember(session.sessionId, browser);
      // The page gets the session token only: the API key and the connect URL stay here.
      return send(response, 200, { session_token: session.sessionToken });
    }

    if (request.method === "GET" && url.pathname === "/api/connect-result") {
      // After a redirect-mode session the page asks for its result. Only a session this browser
      // started is answered, so a crafted return URL cannot show another user's grant.
      const sessionId = url.searchParams.get("session_id") ?? "";
      const started = startedBy.get(sessionId);
      const browser = browserOf(request);
      if (!started || !browser || !sameSecret(started.browser, browser)) {
        return send(response, 404, {
          error: "unknown_session",
          message: "this browser did not start that session",
        });
      }
      const answer = await fetch(`${vault.baseUrl}/v1/connect/sessions/${encodeURIComponent(sessionId)}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const body = await answer.json();
      if (!answer.ok) {
        return send(response, 502, {
          error: body?.error?.code ?? "vault_error",
          message: body?.error?.message,
        });
      }
      return send(response, 200, { status: body.status, results: body.results, error: body.error });
    }

    return send(response, 404, { error: "not found" });
  }

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const shownHost = host.includes(":") ? `[${host}]` : host;
  origin = `http://${shownHost}:${typeof address === "object" && address ? address.port : port}`;
  return {
    origin,
    vaultUrl: vault.baseUrl,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response, status, body, headers = {}) {
  sendText(response, status, "application/json", JSON.stringify(body), headers);
}

function sendText(response, status, type, text, headers = {}) {
  response.writeHead(status, {
    "content-type": `${type}; charset=utf-8`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...headers,
  });
  response.end(text);
}

function cookieOf(request, name) {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

function browserOf(request) {
  const value = cookieOf(request, BROWSER_COOKIE);
  return value && /^[\w-]{24}$/.test(value) ? value : undefined;
}

function sameSecret(a, b) {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let example;
  try {
    example = await startExample();
  } catch (error) {
    // No key: neither GRANTVAULT_API_KEY nor a local vault's credentials file; the SDK says which.
    console.error(`example: ${error.message}`);
    process.exit(2);
  }
  console.log(`Connect.js example listening on ${example.origin} (vault: ${example.vaultUrl})`);
  const stop = () => example.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
