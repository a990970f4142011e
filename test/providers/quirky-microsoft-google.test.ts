import { createSign, generateKeyPairSync } from "node:crypto";
import { google, microsoft } from "@grantvault/providers";
import { describe, expect, it } from "vitest";
import {
  atFake,
  CHALLENGE,
  exchange,
  failureOf,
  fake,
  formOf,
  NOW,
  oauthClient,
  onlyRequestTo,
  queryOf,
  redirectUri,
  requestFor,
  SECRET,
  STATE,
  useFakeProvider,
  VERIFIER,
} from "./quirky-support.js";

/** The ID tokens of Microsoft (a tenant issuer from `common`) and Google (validated, with its nonce). */

useFakeProvider();

/** A compact JWS; the token endpoint's ID token is trusted via TLS, so only its claims matter here. */
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
function jwt(claims: Record<string, unknown>): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString("base64url");
  const input = `${encode({ alg: "RS256", kid: "k1", typ: "JWT" })}.${encode(claims)}`;
  return `${input}.${createSign("RSA-SHA256").update(input).sign(privateKey).toString("base64url")}`;
}

describe("Microsoft", () => {
  const microsoftConfig = {
    id: "microsoft",
    catalog: "microsoft",
    clientId: "cid",
    clientSecret: SECRET,
  } as const;
  const meUrl = "https://graph.microsoft.com/v1.0/me";
  const now = Math.floor(Date.now() / 1000);
  // From the `common` endpoint the ID token's issuer is the user's tenant, never the configured one.
  const tenantIdToken = jwt({
    iss: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    aud: "cid",
    sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
    iat: now,
    exp: now + 3600,
  });
  const tokenBody = {
    token_type: "Bearer",
    scope: "User.Read offline_access openid profile",
    expires_in: 3599,
    ext_expires_in: 3599,
    access_token: "EwBwA8l6BAAU",
    refresh_token: "M.C105_BAY.0.U",
    id_token: tenantIdToken,
  };

  it("drops the ID token, keeps the refresh token, and identifies the user from Graph /me", async () => {
    fake.on("POST", microsoft.tokenUrl, () => ({ body: tokenBody }));
    fake.on("GET", meUrl, () => ({
      body: {
        id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        userPrincipalName: "adele@contoso.com",
        mail: "adele@contoso.com",
      },
    }));

    const result = await exchange(atFake(microsoftConfig));

    expect(result).toEqual({
      tokens: {
        accessToken: "EwBwA8l6BAAU",
        tokenType: "bearer",
        refreshToken: "M.C105_BAY.0.U",
        expiresAt: NOW + 3599 * 1000,
        lifetimeMs: 3599 * 1000,
      },
      scopes: ["User.Read", "offline_access", "openid", "profile"],
      accountIdentifier: "adele@contoso.com",
      accountSubject: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
    });
    expect(formOf(onlyRequestTo(microsoft.tokenUrl))).toEqual({
      grant_type: "authorization_code",
      code: "abc",
      redirect_uri: redirectUri("microsoft"),
      code_verifier: VERIFIER,
      client_id: "cid",
      client_secret: SECRET,
    });
    expect(onlyRequestTo(meUrl).headers.authorization).toBe("Bearer EwBwA8l6BAAU");
  });

  it("would fail on that tenant ID token without the catalog's normalizer (control)", async () => {
    fake.on("POST", microsoft.tokenUrl, () => ({ body: tokenBody }));
    const { normalizeTokenResponse: _catalogs, ...withoutQuirk } = atFake(microsoftConfig);

    const failure = await failureOf(exchange(withoutQuirk));

    expect(failure.code).toBe("provider_error");
    expect(failure.detail).toMatch(/iss/i);
  });
});

describe("Google (oidc)", () => {
  const googleConfig = {
    id: "google",
    catalog: "google",
    clientId: "1234-abc.apps.googleusercontent.com",
    clientSecret: SECRET,
  } as const;
  const nonce = "n-0S6_WzA2Mj";

  it("validates the ID token and its nonce, and identifies the user by its email", async () => {
    const now = Math.floor(Date.now() / 1000);
    const idToken = jwt({
      iss: fake.origin,
      aud: googleConfig.clientId,
      sub: "110169484474386276334",
      email: "g@example.com",
      email_verified: true,
      nonce,
      iat: now,
      exp: now + 3600,
    });
    fake.on("POST", google.tokenUrl, () => ({
      body: {
        access_token: "ya29.a0Af",
        expires_in: 3599,
        refresh_token: "1//0g",
        scope: "openid https://www.googleapis.com/auth/userinfo.email",
        token_type: "Bearer",
        id_token: idToken,
      },
    }));

    const result = await exchange(atFake(googleConfig), nonce);

    expect(result).toEqual({
      tokens: {
        accessToken: "ya29.a0Af",
        tokenType: "bearer",
        refreshToken: "1//0g",
        idToken,
        expiresAt: NOW + 3599 * 1000,
        lifetimeMs: 3599 * 1000,
      },
      scopes: ["openid", "https://www.googleapis.com/auth/userinfo.email"],
      accountIdentifier: "g@example.com",
      accountSubject: "110169484474386276334",
      claims: expect.objectContaining({ email: "g@example.com", nonce }),
    });
    expect(formOf(onlyRequestTo(google.tokenUrl))).toMatchObject({
      code_verifier: VERIFIER,
      client_id: googleConfig.clientId,
      client_secret: SECRET,
    });
  });

  it("rejects an ID token with another nonce", async () => {
    const now = Math.floor(Date.now() / 1000);
    fake.on("POST", google.tokenUrl, () => ({
      body: {
        access_token: "ya29.a0Af",
        token_type: "Bearer",
        id_token: jwt({
          iss: fake.origin,
          aud: googleConfig.clientId,
          sub: "1",
          nonce: "other",
          iat: now,
          exp: now + 60,
        }),
      },
    }));

    const failure = await failureOf(exchange(atFake(googleConfig), nonce));

    expect(failure.code).toBe("provider_error");
    expect(failure.detail).toMatch(/nonce/);
  });

  it("puts nonce, S256 PKCE and access_type=offline&prompt=consent in the authorize URL", async () => {
    const provider = atFake(googleConfig);

    const url = await oauthClient().authorizationUrl(provider, requestFor(provider, nonce));

    expect(url.startsWith(`${fake.mirror(google.authorizationUrl)}?`)).toBe(true);
    expect(queryOf(url)).toEqual({
      response_type: "code",
      client_id: googleConfig.clientId,
      redirect_uri: redirectUri("google"),
      scope: "openid email",
      state: STATE,
      code_challenge: CHALLENGE,
      code_challenge_method: "S256",
      nonce,
      access_type: "offline",
      prompt: "consent",
    });
  });
});
