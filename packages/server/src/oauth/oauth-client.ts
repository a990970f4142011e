import * as oauth from "oauth4webapi";
import { LruMap } from "../lru-map.js";
import type { AccountIdentity, ResolvedProvider } from "../providers/resolved-provider.js";
import { clientAuth } from "./client-auth.js";
import { ConnectFailure } from "./connect-failure.js";
import { classifyAuthorizationError, classifyTokenError, RefreshFailure } from "./provider-failures.js";
import type { TokenSet } from "./token-set.js";

/**
 * Issuers whose discovery documents are kept. Bounded: per-connection parameters make one issuer
 * per tenant, and a process must not grow with every tenant it ever served.
 */
export const DISCOVERY_CACHE_SIZE = 1000;

/** How long any single call to a provider may take. */
const PROVIDER_TIMEOUT_MS = 10_000;

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  codeVerifier: string | null;
  nonce: string | null;
  /** Scopes to ask for instead of the provider's configured ones (a session's required scopes). */
  scopes?: string[] | undefined;
}

export interface CodeExchange {
  tokens: TokenSet;
  scopes: string[];
  /** The account's label: shown, never used to find its grant (F1). */
  accountIdentifier: string;
  /** The account's permanent subject at the provider: its grant is keyed by it (F1). */
  accountSubject: string;
  /** OIDC: the validated ID token's claims, completed from userinfo where they lacked a name. */
  claims?: Record<string, unknown> | undefined;
}

/**
 * The OAuth 2.0 / OpenID Connect client side of the vault, on oauth4webapi. Provider quirks are
 * applied at the HTTP layer (a custom fetch rewrites the token endpoint's answer), so the
 * protocol checks themselves stay the library's.
 */
export class OAuthClient {
  readonly #discovered = new LruMap<string, Promise<oauth.AuthorizationServer>>(DISCOVERY_CACHE_SIZE);

  constructor(
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The provider's metadata: static, or from OpenID discovery (cached; a failure is retried next time). */
  authorizationServer(provider: ResolvedProvider): Promise<oauth.AuthorizationServer> {
    if (provider.parameters.length > 0 && !provider.connectionParams) {
      // A template's URLs still hold `{name}`: only a provider bound to a connection is called.
      return Promise.reject(
        new ConnectFailure("provider_config", `${provider.displayName} needs its connection parameters.`),
      );
    }
    const { endpoints } = provider;
    if (!("discoverFrom" in endpoints)) {
      return Promise.resolve({
        issuer: endpoints.issuer,
        authorization_endpoint: endpoints.authorizationUrl,
        token_endpoint: endpoints.tokenUrl,
        ...(endpoints.userinfoUrl ? { userinfo_endpoint: endpoints.userinfoUrl } : {}),
        ...(endpoints.revocationUrl ? { revocation_endpoint: endpoints.revocationUrl } : {}),
      });
    }
    // By issuer, not provider id: two apps may give the same id to different providers, and one
    // provider with a tenant parameter has an issuer per tenant.
    const cached = this.#discovered.get(endpoints.discoverFrom);
    if (cached) return cached;
    const issuer = new URL(endpoints.discoverFrom);
    const discovery = (async () => {
      let unreachable = true;
      try {
        const response = await oauth.discoveryRequest(issuer, {
          algorithm: "oidc",
          ...this.#options(provider),
        });
        // Up and answering 4xx, or a 200 with an unusable document: a configuration problem.
        unreachable = response.status >= 500;
        return await oauth.processDiscoveryResponse(issuer, response);
      } catch (error) {
        this.#discovered.delete(endpoints.discoverFrom);
        throw new ConnectFailure(
          "provider_config",
          `${provider.displayName} could not be reached or its OpenID configuration is invalid.`,
          String(error),
          { unreachable },
        );
      }
    })();
    this.#discovered.set(endpoints.discoverFrom, discovery);
    return discovery;
  }

  /** The URL to send the user to: code flow with state, PKCE S256 and (OIDC) nonce. */
  async authorizationUrl(provider: ResolvedProvider, request: AuthorizationRequest): Promise<string> {
    const as = await this.authorizationServer(provider);
    if (!as.authorization_endpoint)
      throw new ConnectFailure("provider_config", "The provider has no authorize endpoint.");
    const url = new URL(as.authorization_endpoint);
    const params = url.searchParams;
    // Configured extras first, so the flow's own parameters below always win (F15: the providers
    // file refuses reserved names; this keeps state, PKCE and the redirect ours regardless).
    for (const [key, value] of Object.entries(provider.authorizeParams)) params.set(key, value);
    params.set("response_type", "code");
    params.set("client_id", provider.clientId);
    params.set("redirect_uri", request.redirectUri);
    const scopes = request.scopes ?? provider.scopes;
    if (scopes.length > 0) params.set(provider.scopeParameter, scopes.join(provider.scopeSeparator));
    params.set("state", request.state);
    if (request.codeVerifier) {
      params.set("code_challenge", await oauth.calculatePKCECodeChallenge(request.codeVerifier));
      params.set("code_challenge_method", "S256");
    }
    if (request.nonce) params.set("nonce", request.nonce);
    // OpenID Connect issues a refresh token for offline_access only after explicit consent (Core §11).
    // A configured `prompt` is the operator's choice and stays.
    if (scopes.includes("offline_access") && !params.has("prompt")) params.set("prompt", "consent");
    return url.toString();
  }

  /**
   * Checks the callback (state, `iss` per RFC 9207, error), exchanges the code (with the PKCE
   * verifier), validates the token response (ID token and nonce for OIDC) and finds the account.
   */
  async exchangeCode(
    provider: ResolvedProvider,
    callbackUrl: URL,
    request: AuthorizationRequest,
  ): Promise<CodeExchange> {
    const as = await this.authorizationServer(provider);
    const client: oauth.Client = { client_id: provider.clientId };
    let parameters: URLSearchParams;
    try {
      parameters = oauth.validateAuthResponse(as, client, callbackUrl, request.state);
    } catch (error) {
      throw classifyAuthorizationError(provider, error);
    }

    let result: oauth.TokenEndpointResponse;
    try {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(provider),
        parameters,
        request.redirectUri,
        request.codeVerifier ?? oauth.nopkce,
        this.#options(provider),
      );
      result = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: request.nonce ?? oauth.expectNoNonce,
        requireIdToken: provider.kind === "oidc",
      });
    } catch (error) {
      throw classifyTokenError(provider, error);
    }

    const idTokenClaims = await this.#identityClaims(provider, as, client, result);
    const tokens: TokenSet = {
      accessToken: result.access_token,
      tokenType: result.token_type,
      ...(result.refresh_token ? { refreshToken: result.refresh_token } : {}),
      ...(result.id_token ? { idToken: result.id_token } : {}),
      ...expiryOf(result.expires_in, this.now()),
    };
    const scopes =
      typeof result.scope === "string" && result.scope.trim() !== ""
        ? result.scope.split(/[\s,]+/)
        : (request.scopes ?? provider.scopes);

    let account: AccountIdentity;
    try {
      account = await provider.identifyAccount({
        tokenResponse: result as unknown as Record<string, unknown>,
        accessToken: result.access_token,
        idTokenClaims,
        fetchJson: (url, headers) => this.#fetchJson(provider, url, result.access_token, headers),
      });
    } catch (error) {
      throw new ConnectFailure(
        "provider_error",
        `${provider.displayName} did not tell us which account you connected.`,
        String(error),
      );
    }
    return {
      tokens,
      scopes: [...new Set(scopes.filter(Boolean))],
      accountIdentifier: account.label,
      accountSubject: account.subject,
      claims: idTokenClaims,
    };
  }

  /**
   * The ID token's claims, completed from the userinfo endpoint when they lack the email and
   * preferred_username (many providers put only `sub` in the ID token). Userinfo must be about
   * the same `sub` (OIDC Core §5.3.2).
   */
  async #identityClaims(
    provider: ResolvedProvider,
    as: oauth.AuthorizationServer,
    client: oauth.Client,
    result: oauth.TokenEndpointResponse,
  ): Promise<Record<string, unknown> | undefined> {
    const claims = oauth.getValidatedIdTokenClaims(result) as Record<string, unknown> | undefined;
    if (!claims || claims.email || claims.preferred_username || !as.userinfo_endpoint) return claims;
    try {
      const response = await oauth.userInfoRequest(as, client, result.access_token, this.#options(provider));
      const userinfo = await oauth.processUserInfoResponse(as, client, String(claims.sub), response);
      return { ...userinfo, ...claims };
    } catch {
      // The identifier falls back to `sub`, which the ID token always has.
      return claims;
    }
  }

  /**
   * Exchanges a refresh token (RFC 6749 §6). The result keeps the old refresh token when the
   * provider did not rotate it. Failures are RefreshFailure: `refused` (invalid_grant: the user
   * or provider withdrew the authorization), `transient` (unreachable, 5xx), or `garbled`.
   */
  async refresh(provider: ResolvedProvider, tokens: TokenSet): Promise<TokenSet> {
    if (!tokens.refreshToken) throw new RefreshFailure("refused", "the provider issued no refresh token");
    const as = await this.authorizationServer(provider).catch((error: unknown) => {
      throw new RefreshFailure("transient", String(error));
    });
    const client: oauth.Client = { client_id: provider.clientId };
    let response: Response;
    try {
      response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        clientAuth(provider),
        tokens.refreshToken,
        this.#options(provider),
      );
    } catch (error) {
      throw new RefreshFailure("transient", `${provider.displayName} could not be reached: ${String(error)}`);
    }
    if (response.status >= 500) {
      throw new RefreshFailure("transient", `${provider.displayName} answered ${response.status}`);
    }
    try {
      const result = await oauth.processRefreshTokenResponse(as, client, response);
      return {
        accessToken: result.access_token,
        tokenType: result.token_type,
        ...(result.refresh_token || tokens.refreshToken
          ? { refreshToken: result.refresh_token ?? tokens.refreshToken }
          : {}),
        ...(result.id_token
          ? { idToken: result.id_token }
          : tokens.idToken
            ? { idToken: tokens.idToken }
            : {}),
        ...expiryOf(result.expires_in, this.now()),
      };
    } catch (error) {
      if (error instanceof oauth.ResponseBodyError && error.error === "invalid_grant") {
        throw new RefreshFailure("refused", `${error.error}: ${error.error_description ?? ""}`);
      }
      if (error instanceof oauth.ResponseBodyError || error instanceof oauth.WWWAuthenticateChallengeError) {
        throw new RefreshFailure("refused", String(error));
      }
      throw new RefreshFailure("garbled", String(error));
    }
  }

  /**
   * Revokes `token` at the provider (RFC 7009) when it has a revocation endpoint. Resolves false
   * when it has none or refused; never throws (revocation at the provider is best effort: the
   * vault has already forgotten the token).
   */
  async revoke(
    provider: ResolvedProvider,
    token: string,
    hint: "refresh_token" | "access_token",
  ): Promise<boolean> {
    try {
      const as = await this.authorizationServer(provider);
      if (!as.revocation_endpoint) return false;
      const response = await oauth.revocationRequest(
        as,
        { client_id: provider.clientId },
        clientAuth(provider),
        token,
        {
          ...this.#options(provider),
          additionalParameters: { token_type_hint: hint },
        },
      );
      await oauth.processRevocationResponse(response);
      return true;
    } catch {
      return false;
    }
  }

  #options(provider: ResolvedProvider) {
    return {
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      [oauth.customFetch]: (url: string, options: ProviderFetchOptions) =>
        this.#providerFetch(provider, url, options),
      // Plain http only when every URL of the provider is loopback (tests, the demo provider).
      ...(provider.allowInsecureRequests ? { [oauth.allowInsecureRequests]: true } : {}),
    };
  }

  /** Applies the provider's quirks to its token endpoint: JSON request bodies, non-standard answers. */
  async #providerFetch(
    provider: ResolvedProvider,
    url: string,
    options: ProviderFetchOptions,
  ): Promise<Response> {
    const isTokenEndpoint = !("discoverFrom" in provider.endpoints) && url === provider.endpoints.tokenUrl;
    const { body: requestBody, ...rest } = options;
    const init = { ...rest, ...(requestBody === undefined ? {} : { body: requestBody }) } as RequestInit;
    if (isTokenEndpoint && provider.tokenRequestFormat === "json" && requestBody instanceof URLSearchParams) {
      // Notion's token endpoint takes JSON, not a form.
      init.headers = { ...options.headers, "content-type": "application/json" };
      init.body = JSON.stringify(Object.fromEntries(requestBody));
    }
    const response = await this.fetchImpl(url, init);
    if (!isTokenEndpoint || !provider.normalizeTokenResponse) return response;
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return new Response("not JSON", { status: 502 });
    }
    const normalized = provider.normalizeTokenResponse(body, response.status);
    return new Response(JSON.stringify(normalized.body), {
      status: normalized.status,
      headers: { "content-type": "application/json", "cache-control": "no-store" },
    });
  }

  async #fetchJson(
    provider: ResolvedProvider,
    url: string,
    accessToken: string,
    headers: Record<string, string> = {},
  ): Promise<unknown> {
    const response = await this.fetchImpl(url, {
      headers: { accept: "application/json", ...headers, authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`${provider.displayName} answered ${response.status} at ${url}`);
    return response.json();
  }
}

type ProviderFetchOptions = oauth.CustomFetchOptions<string, unknown>;

/** When an access token issued now expires, and how long it lives, from the provider's `expires_in`. */
function expiryOf(expiresIn: unknown, now: number): Pick<TokenSet, "expiresAt" | "lifetimeMs"> {
  if (typeof expiresIn !== "number") return {};
  const lifetimeMs = expiresIn * 1000;
  return { expiresAt: now + lifetimeMs, lifetimeMs };
}
