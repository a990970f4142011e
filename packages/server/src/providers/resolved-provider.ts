import type {
  AccountIdentity,
  CatalogEntry,
  IdentityContext,
  TokenAuthMethod,
  TokenResponseBody,
} from "@grantvault/providers";
import type { ConnectionParameter, ConnectionParams } from "./connection-parameters.js";

/** Everything the OAuth engine needs about one configured provider. */
export interface ResolvedProvider {
  id: string;
  displayName: string;
  kind: "oauth2" | "oidc";
  clientId: string;
  clientSecret: string;
  scopes: string[];
  scopeSeparator: " " | ",";
  scopeParameter: string;
  pkce: boolean;
  tokenAuthMethod: TokenAuthMethod;
  tokenRequestFormat: "form" | "json";
  authorizeParams: Record<string, string>;
  apiBaseUrls: string[];
  /** Static endpoints, or an issuer whose endpoints come from OpenID discovery. */
  endpoints: StaticEndpoints | { discoverFrom: string };
  /** Every URL is loopback http (tests, the demo provider): the only case http is allowed. */
  allowInsecureRequests: boolean;
  normalizeTokenResponse?: CatalogEntry["normalizeTokenResponse"];
  /**
   * Per-connection parameters its URLs take; empty when none. A provider with parameters is a
   * template (URLs with `{name}`) until bindProvider fills them: never use a template for OAuth.
   */
  parameters: readonly ConnectionParameter[];
  /** On a template only: the provider with these (already checked) values filled in. */
  bindTo?: (values: ConnectionParams) => ResolvedProvider;
  /** On a bound provider: the values its URLs were filled with. */
  connectionParams?: ConnectionParams;
  /** The connected account's permanent subject and its label (see AccountIdentity). */
  identifyAccount(context: IdentityContext): Promise<AccountIdentity>;
}

export interface StaticEndpoints {
  /** Expected `iss` (RFC 9207) and ID-token issuer; for plain OAuth 2.0, the authorize URL's origin. */
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl?: string;
  revocationUrl?: string;
}

export type { AccountIdentity, IdentityContext, TokenResponseBody };
