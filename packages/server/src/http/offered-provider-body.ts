import type { OfferedProviderBody } from "@grantvault/protocol";
import type { ResolvedProvider } from "../providers/resolved-provider.js";

/**
 * A per-connection parameter as a provider declares it (issue 15 item 2): the fields this view
 * reads. Declared here, not imported, so discovery works with providers that declare none.
 */
interface DeclaredParameter {
  name: string;
  displayName?: string;
  description?: string;
  pattern?: string;
}

/**
 * What a value must match when the provider's parameter gives no pattern: a DNS label (the
 * per-connection parameters' documented default).
 */
const DEFAULT_VALUE_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$";

/** A provider as `GET /v1/providers` offers it to the app: what to show and what to ask for. */
export function offeredProviderBody(provider: ResolvedProvider): OfferedProviderBody {
  return {
    id: provider.id,
    display_name: provider.displayName,
    kind: provider.kind,
    scopes: [...provider.scopes],
    parameters: declaredParameters(provider).map((parameter) => ({
      name: parameter.name,
      display_name: parameter.displayName ?? parameter.name,
      description: parameter.description ?? null,
      pattern: parameter.pattern ?? DEFAULT_VALUE_PATTERN,
    })),
  };
}

/** The provider's per-connection parameters, or none when it has no URL that depends on one. */
function declaredParameters(provider: ResolvedProvider): readonly DeclaredParameter[] {
  const declared = (provider as { parameters?: readonly DeclaredParameter[] }).parameters;
  return Array.isArray(declared) ? declared : [];
}
