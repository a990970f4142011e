import type { AppInfoResponse } from "@grantvault/protocol";
import { type AuditEvent, type ListAuditEventsOptions, listAuditEvents } from "./audit.js";
import { type ConnectOptions, type ConnectResult, connect } from "./connect.js";
import {
  type ConnectSession,
  type CreateConnectSessionOptions,
  createConnectSession,
} from "./connect-session.js";
import {
  type Grant,
  type GrantPage,
  getGrant,
  type ListGrantsOptions,
  listGrants,
  revokeGrant,
} from "./grants.js";
import type { VaultHttp } from "./http.js";
import { type AuthenticateOptions, type AuthResult, authenticate, verifyUserToken } from "./identity.js";
import { linkOrigins } from "./link-origin.js";
import { listProviders, type OfferedProvider } from "./providers.js";
import {
  proxyRequest,
  type RequestOptions,
  request,
  type VaultResponse,
  withResolvedGrant,
} from "./request.js";
import { providerTransport, type StreamTransport } from "./transport.js";
import { openVaultChannel, type VaultChannelOptions } from "./vault-channel.js";

export interface VaultOptions extends VaultChannelOptions {
  /**
   * The signed-in user of the current request (read per call, so it can come from
   * AsyncLocalStorage): sent with every grant call that passes no `userToken`, so a grant bound to
   * a user is used only for that user; it also finds the grant of calls that name a `provider`.
   * An empty string means no user.
   */
  userTokenGetter?: () => string | Promise<string>;
  /**
   * The vault's public URL, when it differs from `baseUrl` (a proxy under another name): connect
   * and sign-in links on its origin are opened too. Links on any other origin are refused.
   */
  publicUrl?: string;
}

export interface AppInfo {
  appId: string;
  name: string;
  /** The display prefix of the key in use (what audit rows show). */
  apiKeyPrefix: string;
}

/**
 * A client of one Grantvault server, acting for one app (the app of its API key).
 *
 * @example
 * const vault = new Vault(); // GRANTVAULT_API_KEY and GRANTVAULT_URL, else the local vault's
 * const [github] = await vault.connect({ providers: ["github"] });
 * console.log(github.grantId);
 */
export class Vault {
  readonly #http: VaultHttp;
  readonly #provider: StreamTransport;
  readonly #userTokenGetter: VaultOptions["userTokenGetter"];
  readonly #linkOrigins: readonly string[];

  constructor(options: VaultOptions = {}) {
    this.#http = openVaultChannel(options);
    this.#linkOrigins = linkOrigins(this.#http.baseUrl, options.publicUrl);
    this.#provider = providerTransport(options.fetch);
    this.#userTokenGetter = options.userTokenGetter;
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /** Which app this client's API key belongs to; a cheap way to check the key works. */
  async getApp(): Promise<AppInfo> {
    const body = await this.#http.call<AppInfoResponse>("GET", "/v1/app");
    return { appId: body.app_id, name: body.name, apiKeyPrefix: body.api_key_prefix };
  }

  /**
   * The providers this app may offer its users (its own enabled ones, then the vault's built-in
   * ones): id, display name, kind, scopes, and the per-connection parameters (a tenant, a shop) a
   * connection needs. For building your own provider picker.
   *
   * @example
   * const providers = await vault.listProviders();
   * console.log(providers.map((provider) => provider.displayName));
   */
  listProviders(): Promise<OfferedProvider[]> {
    return listProviders(this.#http);
  }

  /**
   * Headless OAuth: creates a connect session, prints its link and confirmation code (stderr),
   * opens the default browser when one can be reached, and resolves once the user has connected
   * an account — with a grant usable at once.
   *
   * Rejects with `ConnectDeniedError` (the user said no), `ConnectConfigError` (the provider
   * rejected the vault's OAuth client), `ConnectTimeoutError`, or `ConnectFlowError`; bad options
   * throw `VaultValueError` before any network call.
   *
   * @example
   * const [result] = await vault.connect({ providers: ["github"], grantPolicy: { maxTtlSeconds: 86400 } });
   */
  connect(options: ConnectOptions = {}): Promise<ConnectResult[]> {
    return connect(this.#http, options, this.#linkOrigins);
  }

  /**
   * Calls a provider's API as the grant's account (retrieve mode). The vault checks the URL is an
   * API host of the grant's provider, the grant's status and expiry, refreshes the token when it
   * is near expiry, and hands this SDK the credential for this one call; the SDK injects it and
   * makes the call. You get the provider's `Response` (with `retryInfo` set when the vault refreshed
   * the token for this call); the token is never exposed.
   *
   * @example
   * const response = await vault.request("GET", "https://api.github.com/repos/{owner}/{repo}", {
   *   grantId, pathParams: { owner: "octocat", repo: "hello-world" }, reason: "show the repo",
   * });
   */
  async request(method: string, url: string, options: RequestOptions): Promise<VaultResponse> {
    const resolved = await withResolvedGrant(this.#http, options, this.#userTokenGetter);
    return request(this.#http, this.#provider, method, url, resolved);
  }

  /**
   * Like `request()`, but the vault makes the call (proxy mode): the token never leaves the vault.
   * Resolves with the provider's response (status, headers, streamed body); the vault's own
   * refusals reject with the same errors as `request()`.
   */
  async proxyRequest(method: string, url: string, options: RequestOptions): Promise<VaultResponse> {
    const resolved = await withResolvedGrant(this.#http, options, this.#userTokenGetter);
    return proxyRequest(this.#http, method, url, resolved);
  }

  /**
   * A connect session for a web app: give `sessionToken` to the Connect.js widget (popup), or send
   * the browser to `connectUrl` (redirect; it comes back to `returnUrl`). `returnUrl` and
   * `allowedOrigin` must be origins the operator allowed for the app.
   *
   * @example
   * const { sessionToken } = await vault.createConnectSession({
   *   allowedProviders: ["github"], allowedOrigin: "https://app.example.com",
   * });
   */
  createConnectSession(options: CreateConnectSessionOptions = {}): Promise<ConnectSession> {
    return createConnectSession(this.#http, options);
  }

  /**
   * Signs the user in at the app's identity provider, headlessly like `connect()` (printed link,
   * browser, long-poll), and resolves with their user token and claims.
   */
  authenticate(options: AuthenticateOptions = {}): Promise<AuthResult> {
    return authenticate(this.#http, options, this.#linkOrigins);
  }

  /**
   * The user's subject when `token` is a valid user token for this app (signature by the identity
   * provider's keys, issuer, audience, expiry), else null.
   */
  verifyUserToken(token: string): Promise<string | null> {
    return verifyUserToken(this.#http, token);
  }

  /** The app's grants, newest first, one page at a time. */
  listGrants(options: ListGrantsOptions = {}): Promise<GrantPage> {
    return listGrants(this.#http, options);
  }

  /** One grant; `GrantNotFoundError` when it does not exist for this app. */
  getGrant(grantId: string): Promise<Grant> {
    return getGrant(this.#http, grantId);
  }

  /**
   * Revokes a grant: the vault deletes its tokens and revokes them at the provider where it can.
   * The reason is recorded. Resolves with the revoked grant.
   */
  revokeGrant(grantId: string, options: { reason?: string } = {}): Promise<Grant> {
    return revokeGrant(this.#http, grantId, options.reason);
  }

  /** The app's audit log, newest first, one page at a time. */
  listAuditEvents(
    options: ListAuditEventsOptions = {},
  ): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
    return listAuditEvents(this.#http, options);
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}
