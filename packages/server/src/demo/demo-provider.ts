import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Configuration } from "oidc-provider";
import { SIGN_IN_CALLBACK_PATH } from "../identity/sign-in-callback.js";
import type { IdentityProviderConfig, ProviderConfig } from "../providers/provider-config.js";

/** The provider id the demo registers under: `grantvault connect --provider demo`. */
export const DEMO_PROVIDER_ID = "demo";

export interface DemoProvider {
  issuer: string;
  /** An API a demo grant can call: the provider's userinfo endpoint (`GET` with the access token). */
  apiUrl: string;
  /** The provider entry the vault offers for it. */
  config: ProviderConfig;
  /** The demo provider as `app`'s identity provider (`authenticate()`). */
  identityFor(app: string): IdentityProviderConfig;
  stop(): Promise<void>;
}

/**
 * A real OpenID provider (node-oidc-provider) on loopback, so a fresh clone can run a complete
 * OAuth flow with no external account: any user name and password sign in. Only with `--demo`.
 */
export async function startDemoProvider(options: {
  host: string;
  port: number;
  publicUrl: string;
}): Promise<DemoProvider> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${port}`;
  const clientId = "grantvault-demo";
  const clientSecret = randomBytes(24).toString("base64url");

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [
          `${options.publicUrl}/v1/oauth/callback/${DEMO_PROVIDER_ID}`,
          `${options.publicUrl}${SIGN_IN_CALLBACK_PATH}`,
        ],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
      },
    ],
    scopes: ["openid", "offline_access", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"] },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true } },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        email: `${sub}@demo.invalid`,
        email_verified: true,
        preferred_username: sub,
      }),
    }),
  };
  const provider = new Provider(issuer, configuration);
  server.on("request", provider.callback());

  return {
    issuer,
    apiUrl: `${issuer}/me`,
    config: {
      id: DEMO_PROVIDER_ID,
      type: "oidc",
      displayName: "Demo provider (local)",
      issuer,
      clientId,
      clientSecret,
      // Its userinfo endpoint stands in for a provider API: `vault.request("GET", apiUrl, …)`.
      apiBaseUrls: [`${issuer}/me`],
    },
    identityFor: (app) => ({ app, issuer, clientId, clientSecret, displayName: "Demo provider (local)" }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
