import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import Provider, { type Configuration, type Grant, type KoaContextWithOIDC } from "oidc-provider";

/** A confidential client registered at the test authorization server. */
export interface OAuthClientConfig {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /** Default `client_secret_basic`. */
  token_endpoint_auth_method?: "client_secret_basic" | "client_secret_post";
}

/** Claims of one account; `sub` is the account id (the devInteractions login name). */
export interface OAuthAccountClaims {
  email?: string;
  /** Default true when there is an email; false makes a provider that vouches for no address. */
  email_verified?: boolean;
  preferred_username?: string;
  name?: string;
}

export interface OAuthProviderOptions {
  clients: OAuthClientConfig[];
  /** Lifetime of issued access tokens; default 3600. Short values exercise refresh. */
  accessTokenTtlSeconds?: number;
  /** Extra non-OIDC scopes the server accepts, e.g. `["repo", "read:user"]`. */
  scopes?: string[];
  /**
   * Known accounts by id. Without it any devInteractions login is accepted: the login name becomes
   * the account id, with `email` = `<login>@example.test`. With it, only these ids can complete a flow.
   */
  accounts?: Record<string, OAuthAccountClaims>;
  /** Issue a new refresh token on every refresh and retire the old one (RFC 9700 §4.14.2). */
  rotateRefreshTokens?: boolean;
}

export interface IntrospectionResult {
  active: boolean;
  sub?: string;
  scope?: string;
  client_id?: string;
}

/** One request the authorization server received (method and path only: no secrets). */
export interface OAuthProviderRequest {
  method: string;
  path: string;
}

export interface OAuthProvider {
  /** `http://127.0.0.1:<port>`, also the `iss` of authorization responses. */
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  userinfoUrl: string;
  introspectionUrl: string;
  revocationUrl: string;
  provider: Provider;
  /** Introspects a token (access or refresh) with an internal confidential client. */
  introspect(token: string): Promise<IntrospectionResult>;
  /**
   * Revokes every grant of `accountId` (all its access tokens, refresh tokens and codes), as a
   * user "revoking the app" at the provider would. Resolves with the number of grants revoked.
   */
  revokeAllFor(accountId: string): Promise<number>;
  /** Requests received so far, oldest first. */
  requests(): OAuthProviderRequest[];
  /**
   * Signs a JWT with the provider's own ID-token key (the key its JWKS publishes), so tests can
   * make tokens that differ from real ones in exactly one claim.
   */
  signJwt(claims: Record<string, unknown>): Promise<string>;
  /**
   * Key rotation: a new signing key joins the published key set (JWKS), and `signJwt` signs with
   * it from now on. (The provider's own ID tokens keep the first key.)
   */
  rotateSigningKey(): Promise<void>;
  stop(): Promise<void>;
}

const OIDC_SCOPES = ["openid", "offline_access", "email", "profile"];

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Starts a real node-oidc-provider on 127.0.0.1 with devInteractions (any login, any password),
 * PKCE required for every client, introspection and revocation enabled, and refresh tokens issued
 * for every client allowed the `refresh_token` grant, with or without `openid`/`offline_access`
 * (GitHub-style plain OAuth 2.0 clients get one too).
 */
export async function startOAuthProvider(options: OAuthProviderOptions): Promise<OAuthProvider> {
  const server = createServer();
  const port = await listen(server);
  const { api, handle } = await createProvider(`http://127.0.0.1:${port}`, "", options);
  server.on("request", handle);
  return { ...api, stop: () => closeServer(server) };
}

/** Authorization servers of several tenants behind one origin, each under `/t/<tenant>`. */
export interface TenantOAuthProvider {
  /** `http://127.0.0.1:<port>`: every tenant's URLs start with `<origin>/t/<tenant>`. */
  origin: string;
  /** The tenant's own authorization server (issuer `<origin>/t/<tenant>`). */
  tenant(name: string): Omit<OAuthProvider, "stop">;
  stop(): Promise<void>;
}

/**
 * Real node-oidc-provider instances, one per tenant, mounted at `/t/<tenant>` of one loopback
 * server: a provider whose every URL (issuer, authorize, token, userinfo) holds the tenant, as
 * Okta, Auth0 or a Microsoft tenant do. An unknown tenant answers 404.
 */
export async function startTenantOAuthProvider(
  options: OAuthProviderOptions & { tenants: string[] },
): Promise<TenantOAuthProvider> {
  const server = createServer();
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  const tenants = new Map<string, Awaited<ReturnType<typeof createProvider>>>();
  for (const name of options.tenants) {
    tenants.set(name, await createProvider(`${origin}/t/${name}`, `/t/${name}`, options));
  }
  server.on("request", (request, response) => {
    const match = /^\/t\/([^/?]+)(?=[/?]|$)/.exec(request.url ?? "");
    const tenant = match ? tenants.get(match[1] ?? "") : undefined;
    if (!match || !tenant) {
      response.writeHead(404).end();
      return;
    }
    // Mounted the way express mounts it: the provider reads its mount path from originalUrl.
    (request as typeof request & { originalUrl?: string }).originalUrl = request.url ?? "/";
    const rest = (request.url ?? "").slice(match[0].length);
    request.url = rest.startsWith("/") ? rest : `/${rest}`;
    tenant.handle(request, response);
  });
  return {
    origin,
    tenant(name) {
      const tenant = tenants.get(name);
      if (!tenant) throw new Error(`no tenant ${name}`);
      return tenant.api;
    },
    stop: () => closeServer(server),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** One authorization server at `issuer`, served under `mountPath` ("" at the root). */
async function createProvider(
  issuer: string,
  mountPath: string,
  options: OAuthProviderOptions,
): Promise<{
  api: Omit<OAuthProvider, "stop">;
  handle: (request: IncomingMessage, response: ServerResponse) => void;
}> {
  const introspector = {
    client_id: `gv-harness-introspector-${randomBytes(6).toString("hex")}`,
    client_secret: randomBytes(24).toString("base64url"),
  };

  const accounts = options.accounts;
  const claimsFor = (accountId: string): OAuthAccountClaims | undefined => {
    if (!accounts) {
      return { email: `${accountId}@example.test`, preferred_username: accountId, name: accountId };
    }
    return Object.hasOwn(accounts, accountId) ? accounts[accountId] : undefined;
  };

  // Our own signing key (instead of the library's development key) so tests can sign with it.
  const newSigningKey = async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    const header = { kid: `harness-${randomBytes(4).toString("hex")}`, alg: "RS256", use: "sig" };
    return {
      privateKey: pair.privateKey,
      kid: header.kid,
      privateJwk: { ...(await exportJWK(pair.privateKey)), ...header },
      publicJwk: { ...(await exportJWK(pair.publicKey)), ...header },
    };
  };
  const firstKey = await newSigningKey();
  const signingJwk = firstKey.privateJwk;
  /** What `signJwt` signs with, and every public key published so far. */
  let currentKey = firstKey;
  const publishedKeys = [firstKey.publicJwk];

  const configuration: Configuration = {
    jwks: { keys: [signingJwk as never] },
    clients: [
      ...options.clients.map((client) => ({
        client_id: client.client_id,
        client_secret: client.client_secret,
        redirect_uris: client.redirect_uris,
        token_endpoint_auth_method: client.token_endpoint_auth_method ?? "client_secret_basic",
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code" as const],
      })),
      {
        ...introspector,
        token_endpoint_auth_method: "client_secret_basic",
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: [...OIDC_SCOPES, ...(options.scopes ?? [])],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
    features: {
      devInteractions: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: { enabled: true, allowedPolicy: async () => true },
    },
    pkce: { required: () => true },
    // devInteractions' pages must stay under the mount path (the default URL is absolute).
    ...(mountPath
      ? { interactions: { url: async (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` } }
      : {}),
    clientBasedCORS: () => true,
    // The default needs `offline_access` (and with it prompt=consent and `openid`); GitHub-style
    // clients never ask for it, yet receive refresh tokens.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    ...(options.rotateRefreshTokens ? { rotateRefreshToken: true } : {}),
    // Keep tokens valid after the provider-side browser session ends, like real providers do.
    expiresWithSession: async () => false,
    // Marks error pages so browser helpers can fail fast with the provider's message.
    renderError: async (ctx, out) => {
      ctx.type = "html";
      const details = Object.entries(out)
        .map(([key, value]) => `<pre><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</pre>`)
        .join("");
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>oops! something went wrong</title></head><body><main data-provider-error="${escapeHtml(out.error)}"><h1>oops! something went wrong</h1>${details}</main></body></html>`;
    },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
      const claims = claimsFor(sub);
      if (!claims) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          ...(claims.email === undefined ? {} : { email_verified: true }),
          ...claims,
        }),
      };
    },
  };

  const provider = new Provider(issuer, configuration);

  const seen: OAuthProviderRequest[] = [];
  provider.use(async (ctx, next) => {
    seen.push({ method: ctx.method, path: ctx.path });
    await next();
  });

  // Grants by account, for revokeAllFor (the in-memory adapter cannot be queried by account).
  const grantsByAccount = new Map<string, Set<string>>();
  provider.on("grant.saved", (grant: Grant) => {
    if (!grant.accountId) return;
    let set = grantsByAccount.get(grant.accountId);
    if (!set) {
      set = new Set();
      grantsByAccount.set(grant.accountId, set);
    }
    set.add(grant.jti);
  });

  const callback = provider.callback();
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    // After a rotation the key set is ours to publish (the library's is fixed at construction).
    if (publishedKeys.length > 1 && request.method === "GET" && request.url === "/jwks") {
      response.writeHead(200, { "content-type": "application/jwk-set+json" });
      response.end(JSON.stringify({ keys: publishedKeys }));
      return;
    }
    callback(request, response);
  };

  const url = (path: string) => `${issuer}${path}`;
  const introspectionUrl = url("/token/introspection");
  const basic = `Basic ${Buffer.from(
    `${encodeURIComponent(introspector.client_id)}:${encodeURIComponent(introspector.client_secret)}`,
  ).toString("base64")}`;

  const api: Omit<OAuthProvider, "stop"> = {
    issuer,
    authorizationUrl: url("/auth"),
    tokenUrl: url("/token"),
    userinfoUrl: url("/me"),
    introspectionUrl,
    revocationUrl: url("/token/revocation"),
    provider,
    signJwt: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: currentKey.kid })
        .sign(currentKey.privateKey),
    async rotateSigningKey() {
      currentKey = await newSigningKey();
      publishedKeys.push(currentKey.publicJwk);
    },
    async introspect(token) {
      const response = await fetch(introspectionUrl, {
        method: "POST",
        headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }),
      });
      if (!response.ok) {
        throw new Error(`introspection failed: ${response.status} ${await response.text()}`);
      }
      const body = (await response.json()) as Record<string, unknown>;
      const result: IntrospectionResult = { active: body.active === true };
      if (typeof body.sub === "string") result.sub = body.sub;
      if (typeof body.scope === "string") result.scope = body.scope;
      if (typeof body.client_id === "string") result.client_id = body.client_id;
      return result;
    },
    async revokeAllFor(accountId) {
      const grants = grantsByAccount.get(accountId);
      if (!grants) return 0;
      grantsByAccount.delete(accountId);
      for (const grantId of grants) {
        await Promise.all([
          provider.AccessToken.revokeByGrantId(grantId),
          provider.RefreshToken.revokeByGrantId(grantId),
          provider.AuthorizationCode.revokeByGrantId(grantId),
        ]);
        const grant = await provider.Grant.find(grantId);
        await grant?.destroy();
      }
      return grants.size;
    },
    requests: () => [...seen],
  };
  return { api, handle };
}
