import { posix } from "node:path";
import { LruMap } from "../lru-map.js";
import { isLoopbackHost } from "../net.js";

/**
 * Where a grant's token may be sent: only to the provider's API base URLs (same scheme, host and
 * port, and a path under the base path), over https — plain http only to loopback. Decided before
 * any credential leaves the vault, so a leaked grant id or a prompt-injected agent cannot send
 * the token to a host of its choosing.
 */
export function targetRefusal(url: string, apiBaseUrls: readonly string[]): string | null {
  if (!URL.canParse(url)) return "not an absolute URL";
  const target = new URL(url);
  if (target.username || target.password) return "URLs with credentials are not allowed";
  if (target.protocol !== "https:" && !(target.protocol === "http:" && isLoopbackHost(target.hostname))) {
    return "only https is allowed (plain http only to localhost)";
  }
  const allowed = apiBaseUrls.some((base) => {
    const api = parsedBase(base);
    if (api.protocol !== target.protocol || api.host !== target.host) return false;
    const { basePath } = api;
    if (basePath === "") return true;
    // Both the path as sent and as an upstream that decodes `%2F`, `%5C` and `%2E` would read it
    // must stay under the base path (F11: `/api/v4/..%2F..%2Foauth%2Ftoken`).
    const decoded = decodedPath(target.pathname);
    return decoded !== null && isUnder(target.pathname, basePath) && isUnder(decoded, basePath);
  });
  return allowed ? null : `${target.host} is not an API host of this provider`;
}

/**
 * API base URLs come from the provider configuration: each is parsed once. Bounded, since
 * per-connection parameters make one base per tenant (issue 15).
 */
const parsedBases = new LruMap<string, { protocol: string; host: string; basePath: string }>(4096);

function parsedBase(base: string): { protocol: string; host: string; basePath: string } {
  let parsed = parsedBases.get(base);
  if (!parsed) {
    const api = new URL(base);
    parsed = { protocol: api.protocol, host: api.host, basePath: api.pathname.replace(/\/+$/, "") };
    parsedBases.set(base, parsed);
  }
  return parsed;
}

function isUnder(path: string, basePath: string): boolean {
  return path === basePath || path.startsWith(`${basePath}/`);
}

/**
 * The path percent-decoded (until nothing changes, so `%252F` is caught too), backslashes read as
 * slashes, and `.`/`..` segments resolved; null when it does not decode.
 */
function decodedPath(pathname: string): string | null {
  let path = pathname;
  for (let round = 0; round < 5 && path.includes("%"); round++) {
    let next: string;
    try {
      next = decodeURIComponent(path);
    } catch {
      return null;
    }
    if (next === path) break;
    path = next;
  }
  if (path.includes("%")) return null;
  return posix.normalize(path.replaceAll("\\", "/"));
}
