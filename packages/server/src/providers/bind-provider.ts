import {
  type ConnectionParams,
  connectionParamsProblems,
  UnsafeConnectionParams,
} from "./connection-parameters.js";
import type { ResolvedProvider } from "./resolved-provider.js";

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
  return provider.bindTo(given);
}
