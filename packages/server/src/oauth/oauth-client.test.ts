import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { resolveProvider } from "../providers/resolve-provider.js";
import { OAuthClient } from "./oauth-client.js";

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
