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
    return basePath === "" || target.pathname === basePath || target.pathname.startsWith(`${basePath}/`);
  });
  return allowed ? null : `${target.host} is not an API host of this provider`;
}

/** API base URLs come from the provider configuration, a handful in all: each is parsed once. */
const parsedBases = new Map<string, { protocol: string; host: string; basePath: string }>();

function parsedBase(base: string): { protocol: string; host: string; basePath: string } {
  let parsed = parsedBases.get(base);
  if (!parsed) {
    const api = new URL(base);
    parsed = { protocol: api.protocol, host: api.host, basePath: api.pathname.replace(/\/+$/, "") };
    parsedBases.set(base, parsed);
  }
  return parsed;
}
