import { randomBytes } from "node:crypto";
import {
  type IdentityProviderConfig,
  newId,
  type ProviderConfig,
} from "../../packages/server/src/testing.js";
import { freePort } from "./free-port.js";
import { type OAuthAccountClaims, type OAuthProvider, startOAuthProvider } from "./oauth-provider.js";
import { type ResourceApi, startResourceApi } from "./resource-api.js";
import { startTestVault, type TestVault } from "./vault-app.js";

/**
 * Everything a connect flow needs, for real, on loopback: one node-oidc-provider standing in for
 * an OpenID provider (`idp`, discovered from its issuer) and for a GitHub-style plain OAuth 2.0
 * provider (`octo`: explicit endpoints, identity from a resource API's `/user`), the same OpenID
 * provider with a wrong client secret in the vault (`broken`), and a vault
 * listening on HTTP with both configured, plus an app and its API key.
 */
export interface ConnectWorld {
  vault: TestVault;
  baseUrl: string;
  apiKey: string;
  appId: string;
  oauth: OAuthProvider;
  api: ResourceApi;
  /** The providers the vault was configured with. */
  providers: ProviderConfig[];
  /** The app's identity provider: the same node-oidc-provider, client `gv-identity`. */
  identity: IdentityProviderConfig;
  /**
   * Another vault on the same database, key ring and providers — a second server process behind
   * the load balancer (in-process; use `app.inject`). Stopped with the world.
   */
  startPeer(options?: { fetch?: typeof fetch }): Promise<TestVault>;
  stop(): Promise<void>;
}

/** An API base URL of `octo` where nothing listens: calls to it fail to connect. */
export const DOWN_API_BASE_URL = "http://127.0.0.1:1/down";

interface HarnessClient {
  client_id: string;
  client_secret: string;
}

/**
 * The two providers every connect world offers, on the harness's OAuth provider and resource API:
 * `idp` (OpenID, discovered from its issuer) and `octo` (GitHub-like plain OAuth 2.0, identity
 * from the resource API's `/user`).
 */
export function harnessProviders(world: {
  oauth: Pick<OAuthProvider, "issuer" | "authorizationUrl" | "tokenUrl">;
  api: Pick<ResourceApi, "baseUrl">;
  idp: HarnessClient;
  octo: HarnessClient;
}): [ProviderConfig, ProviderConfig] {
  const { oauth, api, idp, octo } = world;
  return [
    {
      id: "idp",
      type: "oidc",
      displayName: "Test IdP",
      issuer: oauth.issuer,
      apiBaseUrls: [api.baseUrl],
      clientId: idp.client_id,
      clientSecret: idp.client_secret,
    },
    {
      id: "octo",
      type: "oauth2",
      displayName: "Octo (GitHub-like)",
      authorizationUrl: oauth.authorizationUrl,
      tokenUrl: oauth.tokenUrl,
      userinfoUrl: `${api.baseUrl}/user`,
      accountIdentifierField: "login",
      scopes: ["repo", "read:user"],
      // The second is an allowed API where nothing listens (port 1): a provider API that is down.
      apiBaseUrls: [api.baseUrl, DOWN_API_BASE_URL],
      clientId: octo.client_id,
      clientSecret: octo.client_secret,
    },
  ];
}

/** The world's app; its identity provider is configured by this name. */
const APP_NAME = "Connect test app";

export async function startConnectWorld(
  options: {
    databaseUrl?: string;
    accessTokenTtlSeconds?: number;
    rotateRefreshTokens?: boolean;
    fetch?: typeof fetch;
    /** How soon an unknown signing key may fetch the identity provider's keys again (vault side). */
    keySetCooldownMs?: number;
    /** The provider's accounts (see OAuthProviderOptions.accounts); changes to them show on the next login. */
    accounts?: Record<string, OAuthAccountClaims>;
    /** More server settings, as `GRANTVAULT_*` environment variables. */
    settings?: Record<string, string>;
  } = {},
): Promise<ConnectWorld> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const clients = ["idp", "octo", "broken"].map((id) => ({
    client_id: `gv-${id}`,
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/oauth/callback/${id}`],
  }));
  const identityClient = {
    client_id: "gv-identity",
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/auth/callback`],
  };
  const oauth = await startOAuthProvider({
    clients: [...clients, identityClient],
    scopes: ["repo", "read:user"],
    ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
    ...(options.rotateRefreshTokens ? { rotateRefreshTokens: true } : {}),
    ...(options.accounts ? { accounts: options.accounts } : {}),
  });
  const api = await startResourceApi({ oauth });
  const [idp, octo, broken] = clients as [
    (typeof clients)[number],
    (typeof clients)[number],
    (typeof clients)[number],
  ];
  const providers: ProviderConfig[] = [
    ...harnessProviders({ oauth, api, idp, octo }),
    {
      // Registered at the provider, but the vault has the wrong secret: the code exchange fails
      // with invalid_client, as with a mistyped secret in a real providers file.
      id: "broken",
      type: "oidc",
      displayName: "Misconfigured IdP",
      issuer: oauth.issuer,
      clientId: broken.client_id,
      clientSecret: "not-the-registered-secret",
    },
  ];
  // Identity providers are configured by app id (F19): the world's app id is chosen up front.
  const appId = newId("app");
  const identity: IdentityProviderConfig = {
    app: appId,
    issuer: oauth.issuer,
    clientId: identityClient.client_id,
    clientSecret: identityClient.client_secret,
    displayName: "Test sign-in",
  };
  const database = options.databaseUrl ? { databaseUrl: options.databaseUrl } : {};
  const vault = await startTestVault({
    providers,
    identity: [identity],
    ...(options.keySetCooldownMs === undefined ? {} : { keySetCooldownMs: options.keySetCooldownMs }),
    publicUrl: baseUrl,
    ...database,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  await vault.app.listen({ host: "127.0.0.1", port });
  await vault.store.apps.insert({ id: appId, name: APP_NAME, createdAt: vault.clock.now() });
  const apiKey = await vault.apiKeys.createKey(appId, null);
  const peers: TestVault[] = [];
  return {
    vault,
    baseUrl,
    apiKey: apiKey.plaintext,
    appId,
    oauth,
    api,
    providers,
    identity,
    async startPeer(peerOptions = {}) {
      if (!options.databaseUrl)
        throw new Error("a peer needs a shared database: start the world with databaseUrl");
      const peer = await startTestVault({
        providers,
        identity: [identity],
        publicUrl: baseUrl,
        ...database,
        keyring: vault.keyring,
        ...(peerOptions.fetch ? { fetch: peerOptions.fetch } : {}),
      });
      peer.clock.current = vault.clock.current;
      peers.push(peer);
      return peer;
    },
    async stop() {
      for (const peer of peers) await peer.close();
      await vault.close();
      await api.stop();
      await oauth.stop();
    },
  };
}
