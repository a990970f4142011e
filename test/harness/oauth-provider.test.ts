import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "./browser.js";
import { loginAndConsent } from "./connect-flow.js";
import type { TokenResponse } from "./fake-connect-page.js";
import { type OAuthProvider, startOAuthProvider } from "./oauth-provider.js";
import { type ResourceApi, startResourceApi } from "./resource-api.js";

/** The provider itself: authorization code + PKCE, consent denied, refresh tokens, revocation. */

const OIDC_CLIENT = { client_id: "test-oidc", client_secret: "test-oidc-secret" };
const GITHUB_CLIENT = { client_id: "test-github", client_secret: "test-github-secret" };

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

describe("OAuth provider harness (real oidc-provider, resource API and Chromium)", () => {
  let oauth: OAuthProvider;
  let api: ResourceApi;
  let browser: Browser;
  let callback: Awaited<ReturnType<typeof startCallbackListener>>;

  beforeAll(async () => {
    callback = await startCallbackListener();
    oauth = await startOAuthProvider({
      clients: [
        { ...OIDC_CLIENT, redirect_uris: [callback.url] },
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
});
