import { LruMap } from "../lru-map.js";
import {
  type ConnectionParams,
  connectionParamsProblems,
  UnsafeConnectionParams,
} from "./connection-parameters.js";
import type { ResolvedProvider } from "./resolved-provider.js";

/**
 * Bound providers by template, then by values: every credential call of a grant binds its
 * provider, and building one parses each URL. Per template (dropped with it when the directory
 * reloads the app) and bounded (tenants are many).
 */
const bound = new WeakMap<ResolvedProvider, LruMap<string, ResolvedProvider>>();
const BOUND_PER_TEMPLATE = 256;

/**
 * The concrete provider of one connection: a template's URLs filled with the connection's values
 * (validated here again: whoever stored them, they pass the same checks). A provider without
 * parameters takes no values and is returned as it is. Throws UnsafeConnectionParams when the
 * values do not fit the provider's parameters (missing, unknown, or refused by a pattern) — for
 * a stored grant that means the operator changed the provider's parameters since it was made.
 */
export function bindProvider(
  provider: ResolvedProvider,
  values: ConnectionParams | null | undefined,
): ResolvedProvider {
  const given = values ?? {};
  if (provider.parameters.length === 0) {
    if (Object.keys(given).length > 0) {
      throw new UnsafeConnectionParams(`${provider.id} takes no connection parameters`);
    }
    return provider;
  }
  const problems = connectionParamsProblems(provider.parameters, given);
  if (problems.length > 0 || !provider.bindTo) {
    throw new UnsafeConnectionParams(
      `the connection parameters do not fit ${provider.id}: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`,
    );
  }
  let cache = bound.get(provider);
  if (!cache) {
    cache = new LruMap(BOUND_PER_TEMPLATE);
    bound.set(provider, cache);
  }
  // Values are of a safe charset (no `&` or `=`), so this key is one set of values only.
  const key = Object.keys(given)
    .sort()
    .map((name) => `${name}=${given[name]}`)
    .join("&");
  const hit = cache.get(key);
  if (hit) return hit;
  const result = provider.bindTo(given);
  cache.set(key, result);
  return result;
}
