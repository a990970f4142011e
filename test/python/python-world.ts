import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../harness/free-port.js";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { type ResourceApi, startResourceApi } from "../harness/resource-api.js";
import { type ServerProcess, startServerProcess } from "../harness/server-process.js";

/**
 * What the Python SDK's tests run against, for real: a `grantvault-server` process (real clock,
 * SQLite in a scratch directory) configured by a providers file with an OpenID provider (`idp`,
 * discovered from its issuer) and a GitHub-style OAuth 2.0 provider (`octo`, identity from the
 * resource API's `/user`), both served by one node-oidc-provider whose access tokens live only
 * `accessTokenTtlSeconds` (so the vault refreshes them), and the resource API that checks tokens.
 *
 * Like test/harness/connect-world.ts, but with the vault as a separate process: the Python tests
 * reach it over HTTP only, and cannot use the in-process test clock.
 */
export interface PythonWorld {
  server: ServerProcess;
  baseUrl: string;
  apiKey: string;
  oauth: OAuthProvider;
  api: ResourceApi;
  oidcProvider: string;
  oauth2Provider: string;
  accessTokenTtlSeconds: number;
  /** Scratch directory: the vault's data and the browser driver's logs. */
  dir: string;
  stop(): Promise<void>;
}

const API_KEY = /export GRANTVAULT_API_KEY=(gv_live_\S+)/;

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
  const oauth = await startOAuthProvider({
    clients: [idp, octo],
    scopes: ["repo", "read:user"],
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
  });
  const api = await startResourceApi({ oauth });
  const providersFile = join(dir, "providers.json");
  await writeFile(
    providersFile,
    JSON.stringify({
      providers: [
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
          apiBaseUrls: [api.baseUrl],
          clientId: octo.client_id,
          clientSecret: octo.client_secret,
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
      args: ["--port", String(port), "--providers", providersFile, "--data-dir", join(dir, "data")],
      env: { GRANTVAULT_LOG_LEVEL: "warn" },
    });
  } catch (error) {
    await api.stop();
    await oauth.stop();
    throw error;
  }
  const apiKey = API_KEY.exec(server.stdout())?.[1];
  if (!apiKey) throw new Error("the server printed no API key on its first start");
  return {
    server,
    baseUrl,
    apiKey,
    oauth,
    api,
    oidcProvider: "idp",
    oauth2Provider: "octo",
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    dir,
    async stop() {
      await server.stop();
      await api.stop();
      await oauth.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
