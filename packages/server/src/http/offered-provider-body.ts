import type { OfferedProviderBody } from "@grantvault/protocol";
import { DEFAULT_PARAMETER_PATTERN } from "../providers/connection-parameters.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";

/** A provider as `GET /v1/providers` offers it to the app: what to show and what to ask for. */
export function offeredProviderBody(provider: ResolvedProvider): OfferedProviderBody {
  return {
    id: provider.id,
    display_name: provider.displayName,
    kind: provider.kind,
    scopes: [...provider.scopes],
    parameters: provider.parameters.map((parameter) => ({
      name: parameter.name,
      display_name: parameter.displayName ?? parameter.name,
      description: parameter.description ?? null,
      pattern: parameter.pattern ?? DEFAULT_PARAMETER_PATTERN,
    })),
  };
}
