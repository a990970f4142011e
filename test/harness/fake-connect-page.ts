import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { OAuthProvider } from "./oauth-provider.js";

/** The client the fake Connect page is registered as at the provider. */
export const CONNECT_CLIENT = { client_id: "test-connect", client_secret: "test-connect-secret" };

/** What the provider's token endpoint answers. */
export interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  id_token?: string;
  error?: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * A stand-in for the vault's hosted Connect page, following the conventions connect-flow.ts and
 * browser-opener.mjs drive: provider buttons `[data-provider]`, `[data-action="cancel"]`,
 * `[data-confirmation-code]`, and result pages `<main data-result>`. It runs a real
 * authorization-code + PKCE exchange against the provider when the user approves.
 */
export async function startFakeConnectPage(getOAuth: () => OAuthProvider) {
  const pending = new Map<string, string>();
  const outcomes: { result: string; sub?: string }[] = [];
  const resultPage = (result: string, text: string) =>
    `<!DOCTYPE html><html><head><style>main { color: #333 }</style></head><body><main data-result="${result}"><h1>${text}</h1></main></body></html>`;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      await readBody(req);
      const html = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
        res.end(body);
      };
      if (req.method === "GET" && url.pathname === "/connect") {
        html(
          200,
          `<!DOCTYPE html><html><body><p>Code: <code data-confirmation-code>WXYZ-2345</code></p>
          <form method="post" action="/connect/start">
            <button type="submit" name="provider" value="test" data-provider="test">Connect Test</button>
            <button type="submit" formaction="/connect/cancel" data-action="cancel">Cancel</button>
          </form></body></html>`,
        );
      } else if (req.method === "POST" && url.pathname === "/connect/start") {
        const oauth = getOAuth();
        const state = randomBytes(16).toString("base64url");
        const verifier = randomBytes(32).toString("base64url");
        pending.set(state, verifier);
        const target = new URL(oauth.authorizationUrl);
        target.search = new URLSearchParams({
          response_type: "code",
          client_id: CONNECT_CLIENT.client_id,
          redirect_uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
          scope: "repo",
          state,
          code_challenge: createHash("sha256").update(verifier).digest("base64url"),
          code_challenge_method: "S256",
        }).toString();
        res.writeHead(303, { location: target.toString() });
        res.end();
      } else if (req.method === "POST" && url.pathname === "/connect/cancel") {
        outcomes.push({ result: "denied" });
        html(200, resultPage("denied", "You cancelled the connection."));
      } else if (req.method === "GET" && url.pathname === "/callback") {
        const oauth = getOAuth();
        const verifier = pending.get(url.searchParams.get("state") ?? "");
        const code = url.searchParams.get("code");
        if (url.searchParams.get("error") === "access_denied") {
          outcomes.push({ result: "denied" });
          html(200, resultPage("denied", "Access was denied at the provider."));
          return;
        }
        if (!verifier || !code || url.searchParams.get("iss") !== oauth.issuer) {
          outcomes.push({ result: "error" });
          html(400, resultPage("error", "Something went wrong."));
          return;
        }
        const response = await fetch(oauth.tokenUrl, {
          method: "POST",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            authorization: `Basic ${Buffer.from(`${CONNECT_CLIENT.client_id}:${CONNECT_CLIENT.client_secret}`).toString("base64")}`,
          },
          body: new URLSearchParams({
            grant_type: "authorization_code",
            code,
            redirect_uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`,
            code_verifier: verifier,
          }),
        });
        const tokens = (await response.json()) as TokenResponse;
        if (!tokens.access_token || !tokens.refresh_token) {
          outcomes.push({ result: "error" });
          html(502, resultPage("error", "Token exchange failed."));
          return;
        }
        const { sub } = await oauth.introspect(tokens.access_token);
        outcomes.push({ result: "success", ...(sub === undefined ? {} : { sub }) });
        html(200, resultPage("success", `Connected as ${sub}.`));
      } else {
        html(404, "not found");
      }
    })().catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { connectUrl: `${baseUrl}/connect`, redirectUri: `${baseUrl}/callback`, outcomes, server };
}
