/**
 * The part of RFC 6265 a browser needs for these flows: host-only cookies (no `Domain`), `Path`
 * matching, `Expires`/`Max-Age` (including deletion), several cookies per response. Cookies are
 * keyed by host without port, as browsers do — the vault and the provider share 127.0.0.1.
 * `Secure` is ignored: everything here is plain HTTP on loopback, which browsers treat as secure.
 */
export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Stores the `set-cookie` headers of a response to `url`. */
  store(url: URL, setCookieHeaders: string[], now = Date.now()): void {
    for (const header of setCookieHeaders) {
      const cookie = parseSetCookie(header, url, now);
      if (!cookie) continue;
      const key = `${cookie.host}\t${cookie.path}\t${cookie.name}`;
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The `cookie` request header for `url`, or undefined when no cookie applies. */
  headerFor(url: URL, now = Date.now()): string | undefined {
    const matching = [...this.#cookies.values()]
      .filter(
        (cookie) =>
          cookie.host === url.hostname &&
          pathMatches(url.pathname, cookie.path) &&
          (cookie.expiresAt === undefined || cookie.expiresAt > now),
      )
      // Longer paths first (RFC 6265 §5.4), so the most specific cookie of a name wins at the server.
      .sort((a, b) => b.path.length - a.path.length);
    return matching.length > 0
      ? matching.map((cookie) => `${cookie.name}=${cookie.value}`).join("; ")
      : undefined;
  }
}

interface StoredCookie {
  host: string;
  path: string;
  name: string;
  value: string;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt?: number;
}

function parseSetCookie(header: string, url: URL, now: number): StoredCookie | null {
  const [pair = "", ...attributes] = header.split(";");
  const eq = pair.indexOf("=");
  if (eq <= 0) return null;
  const cookie: StoredCookie = {
    host: url.hostname,
    path: defaultPath(url.pathname),
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
  };
  let maxAgeSeen = false;
  for (const attribute of attributes) {
    const [rawName = "", ...rest] = attribute.split("=");
    const name = rawName.trim().toLowerCase();
    const value = rest.join("=").trim();
    if (name === "path" && value.startsWith("/")) cookie.path = value;
    else if (name === "max-age" && /^-?\d+$/.test(value)) {
      // Max-Age wins over Expires whatever their order (§5.3 step 3).
      maxAgeSeen = true;
      cookie.expiresAt = now + Number(value) * 1000;
    } else if (name === "expires" && !maxAgeSeen) {
      const at = Date.parse(value);
      if (!Number.isNaN(at)) cookie.expiresAt = at;
    } else if (name === "domain" && value !== "" && value.replace(/^\./, "") !== url.hostname) {
      return null; // A cookie for another domain: a browser would refuse it, and no one sends one here.
    }
  }
  return cookie;
}

/** §5.1.4: the request path up to (not including) its last slash, or "/". */
function defaultPath(requestPath: string): string {
  const lastSlash = requestPath.lastIndexOf("/");
  return lastSlash <= 0 ? "/" : requestPath.slice(0, lastSlash);
}

/** §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}
