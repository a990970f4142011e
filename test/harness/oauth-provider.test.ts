import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserOpenerEnv, launchBrowser, newPage } from "./browser.js";
import { completeConnectFlow, loginAndConsent } from "./connect-flow.js";
import { type OAuthProvider, startOAuthProvider } from "./oauth-provider.js";
import { type ResourceApi, startResourceApi } from "./resource-api.js";

const OIDC_CLIENT = { client_id: "test-oidc", client_secret: "test-oidc-secret" };
const GITHUB_CLIENT = { client_id: "test-github", client_secret: "test-github-secret" };
const CONNECT_CLIENT = { client_id: "test-connect", client_secret: "test-connect-secret" };
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  token_type?: string;
  expires_in?: number;
  scope?: string;
  id_token?: string;
  error?: string;
}

/** A plain loopback redirect URI that records the query of every callback it receives. */
async function startCallbackListener(): Promise<{ url: string; calls: URLSearchParams[]; server: Server }> {
  const calls: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    calls.push(new URL(req.url ?? "/", "http://127.0.0.1").searchParams);
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end('<!DOCTYPE html><main data-result="callback">callback received</main>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/callback`, calls, server };
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
async function startFakeConnectPage(getOAuth: () => OAuthProvider) {
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

/** Opens `url` with the real `open` package in a child process, as the SDK would. */
function openWithOpenPackage(url: string, env: Record<string, string>): Promise<number | null> {
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const { default: open } = await import("open"); await open(process.argv[1]);',
      url,
    ],
    // No DISPLAY / WAYLAND_DISPLAY / XDG_CURRENT_DESKTOP: xdg-open falls back to $BROWSER.
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: "ignore" },
  );
  return new Promise((resolve) => child.once("exit", resolve));
}

async function waitForLogLine(file: string, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await readFile(file, "utf8").catch(() => "");
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${pattern} in ${file} after ${timeoutMs} ms:\n${text}`);
}

describe("OAuth provider harness (real oidc-provider, resource API and Chromium)", () => {
  let oauth: OAuthProvider;
  let api: ResourceApi;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;
  let connect: Awaited<ReturnType<typeof startFakeConnectPage>>;

  beforeAll(async () => {
    callback = await startCallbackListener();
    connect = await startFakeConnectPage(() => oauth);
    oauth = await startOAuthProvider({
      clients: [
        { ...OIDC_CLIENT, redirect_uris: [callback.url] },
        { ...CONNECT_CLIENT, redirect_uris: [connect.redirectUri] },
        { ...GITHUB_CLIENT, redirect_uris: [callback.url], token_endpoint_auth_method: "client_secret_post" },
      ],
      scopes: ["repo", "read:user"],
    });
    api = await startResourceApi({ oauth });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await oauth?.stop();
    await new Promise((resolve) => callback?.server.close(resolve));
    await new Promise((resolve) => connect?.server.close(resolve));
  });

  /** Runs the authorization request in a fresh browser context and returns the callback's query. */
  async function authorize(options: {
    clientId: string;
    scope: string;
    login?: string;
    action?: "approve" | "deny";
  }): Promise<{ params: URLSearchParams; state: string; verifier: string }> {
    const verifier = randomBytes(32).toString("base64url");
    const state = randomBytes(16).toString("base64url");
    const url = new URL(oauth.authorizationUrl);
    url.search = new URLSearchParams({
      response_type: "code",
      client_id: options.clientId,
      redirect_uri: callback.url,
      scope: options.scope,
      state,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
    }).toString();

    const before = callback.calls.length;
    const page = await newPage(browser);
    try {
      await page.goto(url.toString());
      await loginAndConsent(page, {
        login: options.login ?? "alice",
        action: options.action ?? "approve",
        done: '[data-result="callback"]',
      });
    } finally {
      await page.context().close();
    }
    expect(callback.calls.length).toBe(before + 1);
    const params = callback.calls.at(-1);
    if (!params) throw new Error("no callback");
    return { params, state, verifier };
  }

  async function exchangeCode(
    client: { client_id: string; client_secret: string },
    code: string,
    verifier: string,
    auth: "basic" | "post",
  ): Promise<TokenResponse> {
    const { status, body } = await tokenRequest(client, auth, {
      grant_type: "authorization_code",
      code,
      redirect_uri: callback.url,
      code_verifier: verifier,
    });
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  }

  async function tokenRequest(
    client: { client_id: string; client_secret: string },
    auth: "basic" | "post",
    params: Record<string, string>,
  ): Promise<{ status: number; body: TokenResponse }> {
    const body = new URLSearchParams(params);
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (auth === "basic") {
      headers.authorization = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString("base64")}`;
    } else {
      body.set("client_id", client.client_id);
      body.set("client_secret", client.client_secret);
    }
    const response = await fetch(oauth.tokenUrl, { method: "POST", headers, body });
    return { status: response.status, body: (await response.json()) as TokenResponse };
  }

  function refresh(
    client: { client_id: string; client_secret: string },
    auth: "basic" | "post",
    token: string,
  ) {
    return tokenRequest(client, auth, { grant_type: "refresh_token", refresh_token: token });
  }

  function getUser(token?: string): Promise<Response> {
    return fetch(`${api.baseUrl}/user`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  }

  it("runs authorization code + PKCE through login and consent, and the token works at the API", async () => {
    const { params, state, verifier } = await authorize({
      clientId: OIDC_CLIENT.client_id,
      scope: "openid email profile",
    });
    expect(params.get("state")).toBe(state);
    expect(params.get("iss")).toBe(oauth.issuer);
    const code = params.get("code");
    expect(code).toBeTruthy();

    const tokens = await exchangeCode(OIDC_CLIENT, code ?? "", verifier, "basic");
    expect(tokens.token_type).toBe("Bearer");
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(tokens.expires_in).toBeGreaterThan(3000);

    const introspection = await oauth.introspect(tokens.access_token ?? "");
    expect(introspection).toMatchObject({ active: true, sub: "alice", client_id: OIDC_CLIENT.client_id });

    const ok = await getUser(tokens.access_token);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      login: "alice",
      id: expect.any(Number),
      scopes: ["openid", "email", "profile"],
    });

    const userinfo = await fetch(oauth.userinfoUrl, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await userinfo.json()).toMatchObject({
      sub: "alice",
      email: "alice@example.test",
      email_verified: true,
    });

    const anonymous = await getUser();
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ message: "Bad credentials" });
    expect((await getUser("not-a-token")).status).toBe(401);

    const refreshed = await refresh(OIDC_CLIENT, "basic", tokens.refresh_token ?? "");
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.access_token).toEqual(expect.any(String));
    expect((await getUser(refreshed.body.access_token)).status).toBe(200);

    const recorded = api.requests().filter((request) => request.path === "/user");
    expect(recorded.map((request) => request.status)).toEqual([200, 401, 401, 200]);
    expect(recorded[0]?.sub).toBe("alice");
  });

  it("returns error=access_denied to the redirect URI when consent is denied", async () => {
    const { params, state } = await authorize({
      clientId: OIDC_CLIENT.client_id,
      scope: "openid email",
      action: "deny",
    });
    expect(params.get("error")).toBe("access_denied");
    expect(params.get("state")).toBe(state);
    expect(params.get("iss")).toBe(oauth.issuer);
    expect(params.get("code")).toBeNull();
  });

  it("issues a refresh token to a GitHub-style client asking for `repo` without openid", async () => {
    const { params, verifier } = await authorize({
      clientId: GITHUB_CLIENT.client_id,
      scope: "repo read:user",
      login: "octocat",
    });
    const tokens = await exchangeCode(GITHUB_CLIENT, params.get("code") ?? "", verifier, "post");
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.scope).toBe("repo read:user");

    const user = await getUser(tokens.access_token);
    expect(await user.json()).toEqual({
      login: "octocat",
      id: expect.any(Number),
      scopes: ["repo", "read:user"],
    });

    const echoed = await fetch(`${api.baseUrl}/echo?a=1&a=2&b=x`, {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access_token}`, "x-custom": "yes" },
      body: "hello",
    });
    expect(await echoed.json()).toMatchObject({
      method: "POST",
      path: "/echo",
      query: { a: ["1", "2"], b: "x" },
      headers: { "x-custom": "yes", authorization: `Bearer ${tokens.access_token}` },
      body: "hello",
    });
    expect((await fetch(`${api.baseUrl}/echo`)).status).toBe(401);
  });

  it("revokes every token of an account with revokeAllFor", async () => {
    const { params, verifier } = await authorize({
      clientId: GITHUB_CLIENT.client_id,
      scope: "repo",
      login: "bob",
    });
    const tokens = await exchangeCode(GITHUB_CLIENT, params.get("code") ?? "", verifier, "post");
    expect((await getUser(tokens.access_token)).status).toBe(200);

    expect(await oauth.revokeAllFor("bob")).toBe(1);

    expect((await getUser(tokens.access_token)).status).toBe(401);
    expect(await oauth.introspect(tokens.refresh_token ?? "")).toEqual({ active: false });
    const refreshed = await refresh(GITHUB_CLIENT, "post", tokens.refresh_token ?? "");
    expect(refreshed.status).toBe(400);
    expect(refreshed.body.error).toBe("invalid_grant");
  });

  it("completeConnectFlow drives a Connect page: approve, deny at the provider, cancel", async () => {
    const page = await newPage(browser);
    try {
      const approved = await completeConnectFlow(page, connect.connectUrl, {
        provider: "test",
        login: "carol",
      });
      expect(approved).toMatchObject({
        result: "success",
        text: "Connected as carol.",
        confirmationCode: "WXYZ-2345",
      });
    } finally {
      await page.context().close();
    }

    const page2 = await newPage(browser);
    try {
      const denied = await completeConnectFlow(page2, connect.connectUrl, {
        provider: "test",
        action: "deny-at-provider",
      });
      expect(denied).toMatchObject({ result: "denied", text: "Access was denied at the provider." });

      const cancelled = await completeConnectFlow(page2, connect.connectUrl, {
        provider: "test",
        action: "cancel-on-connect-page",
      });
      expect(cancelled).toMatchObject({ result: "denied", text: "You cancelled the connection." });
    } finally {
      await page2.context().close();
    }
    expect(connect.outcomes).toEqual([
      { result: "success", sub: "carol" },
      { result: "denied" },
      { result: "denied" },
    ]);
  });

  it("browser-opener.mjs, set as BROWSER, is launched by the `open` package and completes the flow", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gv-opener-"));
    try {
      const logFile = join(dir, "browser.log");
      const before = connect.outcomes.length;
      const url = `${connect.connectUrl}?session=abc&x=1`;
      const exitCode = await openWithOpenPackage(
        url,
        browserOpenerEnv({ provider: "test", login: "dave", logFile }),
      );
      expect(exitCode).toBe(0);

      const log = await waitForLogLine(logFile, /result: |error: /, 30_000);
      expect(log).toContain(`started with ${JSON.stringify([url])}`);
      expect(log).toContain("confirmation code: WXYZ-2345");
      expect(log).toContain("result: success");
      expect(connect.outcomes.slice(before)).toEqual([{ result: "success", sub: "dave" }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
