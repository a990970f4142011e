/**
 * What the vault needs to know about an OAuth provider. One `CatalogEntry` per well-known provider
 * lives in its own file; operator-defined providers (`type: "oidc"` / `"oauth2"` in the providers
 * file) are turned into the same shape by the server.
 */

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export type TokenAuthMethod = "client_secret_basic" | "client_secret_post";

/** A token endpoint's JSON body. */
export type TokenResponseBody = Record<string, unknown>;

/** What an identity lookup may use to find the account the user connected. */
export interface IdentityContext {
  /** The token endpoint's body after `normalizeTokenResponse`. */
  tokenResponse: TokenResponseBody;
  accessToken: string;
  /** Claims of the validated ID token, when the provider sent one. */
  idTokenClaims: Record<string, unknown> | undefined;
  /**
   * GETs a JSON resource with `Authorization: Bearer <access token>` (plus `headers`); throws on
   * a non-2xx status or a non-JSON body.
   */
  fetchJson(url: string, headers?: Record<string, string>): Promise<unknown>;
}

export interface CatalogEntry {
  /** Catalog name used in the providers file: `"catalog": "github"`. Lowercase. */
  name: string;
  /** Shown on the Connect page. */
  displayName: string;
  /** `oidc` when the provider returns an ID token we validate (nonce is sent); else `oauth2`. */
  kind: "oauth2" | "oidc";
  /** The issuer identifier, for `oidc` entries: ID tokens are checked against it. */
  issuer?: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl?: string;
  /** RFC 7009 revocation endpoint, where the provider has one. */
  revocationUrl?: string;
  defaultScopes: string[];
  /** How scopes are joined in the authorize request (most use a space; some a comma). */
  scopeSeparator: " " | ",";
  /** The authorize parameter that carries the scopes; `scope` unless the provider says otherwise. */
  scopeParameter?: string;
  /** Whether the provider supports PKCE with S256 (RFC 7636); when true it is always sent. */
  pkce: boolean;
  tokenAuthMethod: TokenAuthMethod;
  /** The token endpoint wants a JSON body instead of a form. */
  tokenRequestFormat?: "form" | "json";
  /** Extra authorize parameters, e.g. what it takes to get a refresh token. */
  authorizeParams?: Record<string, string>;
  /** The API base URLs (scheme + host, optional path prefix) its tokens are meant for. */
  apiBaseUrls: string[];
  /**
   * Rewrites a token endpoint answer into a standard one (RFC 6749 §5.1 success or §5.2 error)
   * before it is validated, e.g. an error delivered with status 200, or a token nested elsewhere.
   */
  normalizeTokenResponse?(
    body: TokenResponseBody,
    status: number,
  ): { status: number; body: TokenResponseBody };
  /**
   * Finds who the connected account is: its permanent subject (grants are keyed by it) and a
   * label to show. See `AccountIdentity`.
   */
  identifyAccount(context: IdentityContext): Promise<AccountIdentity>;
}

/**
 * The account a user connected (F1). `subject` is what the provider never reassigns: an id, never
 * an email or a login, which can change hands. `label` is only shown (an email, a login…) and may
 * change between connects; an email is a label only when the provider says it is verified.
 */
export interface AccountIdentity {
  subject: string;
  label: string;
}
