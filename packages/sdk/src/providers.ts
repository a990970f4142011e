import type { ListProvidersResponse, OfferedProviderBody } from "@grantvault/protocol";
import type { VaultHttp } from "./http.js";

/** A value a connection to the provider needs (a tenant, a shop, a region), given when connecting. */
export interface ProviderParameter {
  /** The `{name}` the value fills in the provider's URLs. */
  name: string;
  /** What to call it when asking a user. */
  displayName: string;
  description: string | null;
  /** A regular expression every value must match. */
  pattern: string;
}

/** A provider the app may offer its users (`listProviders()`): never its OAuth client. */
export interface OfferedProvider {
  id: string;
  displayName: string;
  kind: "oauth2" | "oidc";
  /** The scopes a connection asks for unless the session narrows them. */
  scopes: string[];
  /** Values each connection must be given; empty when the provider needs none. */
  parameters: ProviderParameter[];
}

/** See `Vault.listProviders()`. */
export async function listProviders(http: VaultHttp): Promise<OfferedProvider[]> {
  const body = await http.call<ListProvidersResponse>("GET", "/v1/providers");
  return body.providers.map(toOfferedProvider);
}

function toOfferedProvider(body: OfferedProviderBody): OfferedProvider {
  return {
    id: body.id,
    displayName: body.display_name,
    kind: body.kind,
    scopes: body.scopes,
    parameters: body.parameters.map((parameter) => ({
      name: parameter.name,
      displayName: parameter.display_name,
      description: parameter.description,
      pattern: parameter.pattern,
    })),
  };
}
