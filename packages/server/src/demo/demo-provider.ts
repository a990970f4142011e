import { mkdir, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Configuration } from "oidc-provider";
import { escapeHtml } from "../http/pages/html.js";
import { SIGN_IN_CALLBACK_PATH } from "../identity/sign-in-callback.js";
import type { IdentityProviderConfig, ProviderConfig } from "../providers/provider-config.js";
import { DemoProviderStore } from "./demo-provider-store.js";
import { loadOrCreateDemoSecrets } from "./demo-secrets.js";
import { withoutExpectedWarnings } from "./oidc-provider-warnings.js";

/** The provider id the demo registers under: `grantvault connect --provider demo`. */
export const DEMO_PROVIDER_ID = "demo";

export interface DemoProvider {
  issuer: string;
  /** An API a demo grant can call: the provider's userinfo endpoint (`GET` with the access token). */
  apiUrl: string;
  /** Where its keys and tokens are kept across restarts. */
  stateDir: string;
  /** The provider entry the vault offers for it. */
  config: ProviderConfig;
  /** The demo provider as `app`'s identity provider (`authenticate()`). */
  identityFor(app: string): IdentityProviderConfig;
  stop(): Promise<void>;
}

/** Where the demo provider's state lives under `stateDir`: its storage (the secrets are beside it). */
export const DEMO_PROVIDER_DB_FILE = "provider.db";

const DAY_SECONDS = 24 * 3600;

/**
 * A real OpenID provider (node-oidc-provider) on loopback, so a fresh clone can run a complete
 * OAuth flow with no external account: any user name and password sign in. Only with `--demo`.
 * Its client secret, keys and everything it issued are kept in `stateDir`, and it listens on a
 * fixed port: demo grants made before a restart keep working after it.
 */
export async function startDemoProvider(options: {
  host: string;
  /** 0 picks a free one (tests). */
  port: number;
  publicUrl: string;
  /** Created owner-only (0700) if absent. */
  stateDir: string;
  accessTokenTtlSeconds: number;
}): Promise<DemoProvider> {
  await openStateDir(options.stateDir);
  const secrets = await loadOrCreateDemoSecrets(options.stateDir);
  const store = DemoProviderStore.open(join(options.stateDir, DEMO_PROVIDER_DB_FILE));
  const server = createServer();
  try {
    await listen(server, options.host, options.port);
  } catch (error) {
    store.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.host === "0.0.0.0" ? "127.0.0.1" : options.host}:${port}`;
  const clientId = "grantvault-demo";
  const { clientSecret } = secrets;

  const configuration: Configuration = {
    adapter: (model: string) => store.adapterFor(model),
    jwks: { keys: secrets.signingKeys as NonNullable<Configuration["jwks"]>["keys"] },
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
    features: {
      devInteractions: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
    },
    pkce: { required: () => true },
    cookies: { keys: secrets.cookieKeys },
    // Every lifetime is set, so that the library does not print a notice for each default it uses.
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * DAY_SECONDS,
      // A demo grant lasts a year unless used: its refresh token and the provider's grant record.
      RefreshToken: 365 * DAY_SECONDS,
      Grant: 365 * DAY_SECONDS,
    },
    // A demo grant's tokens stay valid after the browser session at the provider ends, as at real providers.
    expiresWithSession: async () => false,
    // Only the vault calls it, server to server: no browser origin needs CORS.
    clientBasedCORS: () => false,
    renderError: async (ctx, out) => {
      ctx.type = "html";
      const details = Object.entries(out)
        .map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`)
        .join("");
      ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Demo provider: error</title></head><body><main data-provider-error="${escapeHtml(String(out.error))}"><h1>Demo provider: something went wrong</h1>${details}</main></body></html>`;
    },
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
  const provider = await withoutExpectedWarnings(async () => {
    // Imported here, inside the filter: the library warns at import time too.
    const { default: Provider } = await import("oidc-provider");
    return new Provider(issuer, configuration);
  });
  server.on("request", provider.callback());

  return {
    issuer,
    apiUrl: `${issuer}/me`,
    stateDir: options.stateDir,
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
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      store.close();
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `the demo provider cannot listen on ${host}:${port}: the port is in use; choose another with --demo-port (GRANTVAULT_DEMO_PORT)`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
}

/** Like the data dir it sits in: owner-only, since it holds the demo provider's keys and tokens. */
async function openStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dir);
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${dir} is accessible by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 700 ${dir}`,
    );
  }
}
