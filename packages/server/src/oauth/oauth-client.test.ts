import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { resolveProvider } from "../providers/resolve-provider.js";
import { DISCOVERY_CACHE_SIZE, OAuthClient } from "./oauth-client.js";

const provider = resolveProvider({
  id: "octo",
  type: "oauth2",
  authorizationUrl: "https://octo.example/authorize?tenant=t1",
  tokenUrl: "https://octo.example/token",
  userinfoUrl: "https://api.octo.example/user",
  clientId: "client-1",
  clientSecret: "secret",
  scopes: ["read", "offline_access"],
});

describe("OAuthClient.authorizationUrl", () => {
  it("F15: keeps state, PKCE, redirect and client even when authorizeParams try to override them", async () => {
    // The providers file refuses these names; a provider that carries them anyway (a catalog
    // entry, a future config source) still cannot weaken the flow.
    const hostile = {
      ...provider,
      authorizeParams: {
        state: "attacker-state",
        code_challenge: "attacker-challenge",
        code_challenge_method: "plain",
        redirect_uri: "https://evil.example/cb",
        response_type: "token",
        client_id: "other-client",
        scope: "admin",
        nonce: "fixed",
        prompt: "select_account",
        hd: "example.com",
      },
    };
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(
      await new OAuthClient().authorizationUrl(hostile, {
        redirectUri: "https://vault.example/connect/callback",
        state: "the-state",
        codeVerifier: verifier,
        nonce: "the-nonce",
      }),
    );
    const params = Object.fromEntries(url.searchParams);
    expect(params).toStrictEqual({
      tenant: "t1",
      state: "the-state",
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      redirect_uri: "https://vault.example/connect/callback",
      response_type: "code",
      client_id: "client-1",
      scope: "read offline_access",
      nonce: "the-nonce",
      // Not a flow parameter: the operator's choice wins over the offline_access default.
      prompt: "select_account",
      hd: "example.com",
    });
  });

  it("asks for consent when offline access is requested and nothing else was configured", async () => {
    const url = new URL(
      await new OAuthClient().authorizationUrl(provider, {
        redirectUri: "https://vault.example/connect/callback",
        state: "s",
        codeVerifier: null,
        nonce: null,
      }),
    );
    expect(url.searchParams.get("prompt")).toBe("consent");
    expect(url.searchParams.has("code_challenge")).toBe(false);
  });
});

describe("OAuthClient with per-connection parameters", () => {
  const template = resolveProvider({
    id: "corp",
    type: "oidc",
    issuer: "https://{tenant}.login.example.com",
    parameters: [{ name: "tenant" }],
    clientId: "client-1",
    clientSecret: "secret",
  });

  it("never calls a template's URLs: only a provider bound to a connection", async () => {
    const calls: string[] = [];
    const client = new OAuthClient(async (input) => {
      calls.push(String(input));
      return new Response("{}", { status: 500 });
    });
    await expect(client.authorizationServer(template)).rejects.toMatchObject({ code: "provider_config" });
    expect(calls).toStrictEqual([]);
  });

  it("discovers each tenant's issuer apart, keeping a bounded number of them", async () => {
    const calls: string[] = [];
    const client = new OAuthClient(async (input) => {
      const url = String(input);
      calls.push(url);
      const issuer = url.replace("/.well-known/openid-configuration", "");
      return Response.json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
      });
    });
    const bind = (tenant: string) => template.bindTo?.({ tenant }) ?? template;
    const acme = await client.authorizationServer(bind("acme"));
    const globex = await client.authorizationServer(bind("globex"));
    expect(acme.token_endpoint).toBe("https://acme.login.example.com/token");
    expect(globex.token_endpoint).toBe("https://globex.login.example.com/token");
    await client.authorizationServer(bind("acme"));
    expect(calls).toHaveLength(2);
    // Past the bound the oldest issuer is forgotten (and discovered again when asked).
    for (let index = 0; index < DISCOVERY_CACHE_SIZE; index++)
      await client.authorizationServer(bind(`t${index}`));
    await client.authorizationServer(bind("acme"));
    expect(calls.filter((url) => url.startsWith("https://acme."))).toHaveLength(2);
  });
});
