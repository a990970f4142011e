import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { harnessProviders } from "../harness/connect-world.js";
import { freePort } from "../harness/free-port.js";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { type ResourceApi, startResourceApi } from "../harness/resource-api.js";
import { runServerCli, type ServerProcess, startServerProcess } from "../harness/server-process.js";

/**
 * What the Python SDK's tests run against, for real: a `grantvault-server` process (real clock,
 * SQLite in a scratch directory) configured by a providers file with an OpenID provider (`idp`,
 * discovered from its issuer) and a GitHub-style OAuth 2.0 provider (`octo`, identity from the
 * resource API's `/user`), both served by one node-oidc-provider whose access tokens live only
 * `accessTokenTtlSeconds` (so the vault refreshes them), and the resource API that checks tokens.
 * The same node-oidc-provider is the identity provider of the app `default` (`authenticate()`,
 * client `gv-identity`), and the app may use the resource API's origin in web flows (allowed with
 * `grantvault-server apps allow-origin`, as an operator would).
 *
 * Like test/harness/connect-world.ts, but with the vault as a separate process: the Python tests
 * reach it over HTTP only, and cannot use the in-process test clock.
 */
export interface PythonWorld {
  server: ServerProcess;
  baseUrl: string;
  apiKey: string;
  /** A vault-wide operator key (`operator-keys create`), for the admin client's app calls. */
  operatorKey: string;
  oauth: OAuthProvider;
  api: ResourceApi;
  oidcProvider: string;
  oauth2Provider: string;
  accessTokenTtlSeconds: number;
  /** The one web origin the operator allowed for the app (`apps allow-origin`). */
  allowedOrigin: string;
  /**
   * User tokens signed with the identity provider's own key, minted before the Python tests run
   * (Python cannot sign without the key): valid ones for `alice` and `bob` (an hour), and two that
   * differ from alice's in one claim only (another audience; expired an hour ago).
   */
  userTokens: { alice: string; bob: string; wrongAudience: string; expired: string };
  /** Scratch directory: the vault's data and the browser driver's logs. */
  dir: string;
  stop(): Promise<void>;
}

/** The app the world creates before the server starts; its identity provider is configured by its id. */
const APP_NAME = "default";

export async function startPythonWorld(options: { accessTokenTtlSeconds: number }): Promise<PythonWorld> {
  const dir = await mkdtemp(join(tmpdir(), "gv-python-"));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const [idp, octo] = ["idp", "octo"].map((id) => ({
    client_id: `gv-${id}`,
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/oauth/callback/${id}`],
  })) as [
    { client_id: string; client_secret: string; redirect_uris: string[] },
    { client_id: string; client_secret: string; redirect_uris: string[] },
  ];
  const identityClient = {
    client_id: "gv-identity",
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/auth/callback`],
  };
  const oauth = await startOAuthProvider({
    clients: [idp, octo, identityClient],
    scopes: ["repo", "read:user"],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
  });
  const api = await startResourceApi({ oauth });
  // Identity providers are configured by app id (F19): create the app before writing the file.
  const dataDir = join(dir, "data");
  const created = await runServerCli(
    ["apps", "create", "--name", APP_NAME, "--json", "--data-dir", dataDir],
    {
      cwd: dir,
      env: { GRANTVAULT_LOG_LEVEL: "warn" },
    },
  );
  if (created.code !== 0) throw new Error(`apps create failed (${created.code}): ${created.stderr}`);
  const { app_id: appId, api_key: apiKey } = JSON.parse(created.stdout) as {
    app_id: string;
    api_key: string;
  };
  const operator = await runServerCli(
    ["operator-keys", "create", "--name", "python tests", "--json", "--data-dir", dataDir],
    { cwd: dir, env: { GRANTVAULT_LOG_LEVEL: "warn" } },
  );
  if (operator.code !== 0)
    throw new Error(`operator-keys create failed (${operator.code}): ${operator.stderr}`);
  const { operator_key: operatorKey } = JSON.parse(operator.stdout) as { operator_key: string };
  const providersFile = join(dir, "providers.json");
  await writeFile(
    providersFile,
    JSON.stringify({
      providers: harnessProviders({ oauth, api, idp, octo }),
      identity: [
        {
          app: appId,
          issuer: oauth.issuer,
          clientId: identityClient.client_id,
          clientSecret: identityClient.client_secret,
          displayName: "Test sign-in",
        },
      ],
    }),
    { mode: 0o600 },
  );
  let server: ServerProcess;
  try {
    server = await startServerProcess({
      cwd: dir,
      // A later --port wins over the harness's --port 0: the redirect URIs need the port first.
      args: ["--port", String(port), "--providers", providersFile, "--data-dir", dataDir],
      env: { GRANTVAULT_LOG_LEVEL: "warn" },
    });
  } catch (error) {
    await api.stop();
    await oauth.stop();
    throw error;
  }
  const allowedOrigin = new URL(api.baseUrl).origin;
  try {
    const allowed = await runServerCli(
      ["apps", "allow-origin", APP_NAME, allowedOrigin, "--data-dir", join(dir, "data")],
      { cwd: dir, env: { GRANTVAULT_LOG_LEVEL: "warn" } },
    );
    if (allowed.code !== 0) {
      throw new Error(`apps allow-origin failed (${allowed.code}): ${allowed.stderr}${allowed.stdout}`);
    }
    const userTokens = await mintUserTokens(oauth, identityClient.client_id);
    return {
      server,
      baseUrl,
      apiKey,
      operatorKey,
      oauth,
      api,
      oidcProvider: "idp",
      oauth2Provider: "octo",
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
      allowedOrigin,
      userTokens,
      dir,
      async stop() {
        await server.stop();
        await api.stop();
        await oauth.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server.stop();
    await api.stop();
    await oauth.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Tokens exactly like the identity provider's ID tokens (its key, issuer and audience), but for a test. */
async function mintUserTokens(oauth: OAuthProvider, audience: string): Promise<PythonWorld["userTokens"]> {
  const now = Math.floor(Date.now() / 1000);
  const token = (sub: string, overrides: Record<string, unknown> = {}) =>
    oauth.signJwt({ iss: oauth.issuer, aud: audience, sub, iat: now, exp: now + 3600, ...overrides });
  return {
    alice: await token("alice"),
    bob: await token("bob"),
    wrongAudience: await token("alice", { aud: "gv-octo" }),
    expired: await token("alice", { iat: now - 7200, exp: now - 3600 }),
  };
}
