import { createSign, generateKeyPairSync } from "node:crypto";
import { github, google, microsoft, notion, slack } from "@grantvault/providers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConnectFailure } from "../../packages/server/src/connect/connect-failure.js";
import { type AuthorizationRequest, OAuthClient } from "../../packages/server/src/connect/oauth-client.js";
import type { ProviderConfig } from "../../packages/server/src/providers/provider-config.js";
import { resolveProvider } from "../../packages/server/src/providers/resolve-provider.js";
import type { ResolvedProvider } from "../../packages/server/src/providers/resolved-provider.js";
import { freePort } from "../harness/free-port.js";
import { FakeProvider, offlineFetch, type ReceivedRequest } from "./fake-provider.js";

/**
 * OAuthClient.exchangeCode() against local fakes of each catalog provider's token and identity
 * endpoints, reproducing their real-world quirks. Only the endpoints are pointed at the fake: the
 * catalog's quirk functions (normalizeTokenResponse, accountIdentifier, tokenAuthMethod,
 * tokenRequestFormat, scopeParameter) stay the catalog's.
 */

/** Real hosts the catalog's identity lookups call; the test fetch sends them to the fake. */
const IDENTITY_ORIGINS = [
  "https://api.github.com",
  "https://slack.com",
  "https://graph.microsoft.com",
  "https://openidconnect.googleapis.com",
];
const VAULT = "http://127.0.0.1:4599";
const NOW = Date.UTC(2030, 0, 1);
const STATE = "st-8f2a1c9e";
// RFC 7636 Appendix B: the verifier and its S256 challenge, computed independently of the client.
const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const SECRET = "gv-test-client-secret-do-not-leak";
const FORM = "application/x-www-form-urlencoded;charset=UTF-8";

let fake: FakeProvider;
const refused: string[] = [];

beforeAll(async () => {
  fake = await FakeProvider.start();
});

afterEach(() => {
  // Nothing may have tried to reach a real host.
  const attempts = refused.splice(0);
  fake.reset();
  expect(attempts).toEqual([]);
});

afterAll(async () => {
  await fake.close();
});

function oauthClient(): OAuthClient {
  return new OAuthClient(offlineFetch(fake, IDENTITY_ORIGINS, refused), () => NOW);
}

/** The catalog provider as the vault resolves it, with only its endpoints moved to the fake. */
function atFake(config: ProviderConfig): ResolvedProvider {
  const resolved = resolveProvider(config);
  const { endpoints } = resolved;
  if ("discoverFrom" in endpoints) throw new Error("catalog providers have static endpoints");
  return {
    ...resolved,
    endpoints: {
      issuer: fake.origin,
      authorizationUrl: fake.mirror(endpoints.authorizationUrl),
      tokenUrl: fake.mirror(endpoints.tokenUrl),
      ...(endpoints.userinfoUrl ? { userinfoUrl: fake.mirror(endpoints.userinfoUrl) } : {}),
      ...(endpoints.revocationUrl ? { revocationUrl: fake.mirror(endpoints.revocationUrl) } : {}),
    },
    allowInsecureRequests: true,
  };
}

function redirectUri(providerId: string): string {
  return `${VAULT}/v1/oauth/callback/${providerId}`;
}

function callback(providerId: string, code = "abc"): URL {
  return new URL(`${redirectUri(providerId)}?code=${code}&state=${STATE}`);
}

/** What ConnectFlow stores for the provider: a PKCE verifier only when the catalog says PKCE. */
function requestFor(provider: ResolvedProvider, nonce: string | null = null): AuthorizationRequest {
  return {
    redirectUri: redirectUri(provider.id),
    state: STATE,
    codeVerifier: provider.pkce ? VERIFIER : null,
    nonce,
  };
}

function exchange(provider: ResolvedProvider, nonce: string | null = null) {
  return oauthClient().exchangeCode(provider, callback(provider.id), requestFor(provider, nonce));
}

/** The ConnectFailure a promise rejects with (fails the test on success or on any other error). */
async function failureOf(promise: Promise<unknown>): Promise<ConnectFailure> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a ConnectFailure, got ${JSON.stringify(value)}`);
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ConnectFailure);
  return error as ConnectFailure;
}

/** The single request the fake received at `realUrl`. */
function onlyRequestTo(realUrl: string): ReceivedRequest {
  const requests = fake.requestsTo(realUrl);
  expect(requests).toHaveLength(1);
  return requests[0] as ReceivedRequest;
}

function formOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body));
}

/** The `user:password` inside an `Authorization: Basic` header. */
function basicCredentials(request: ReceivedRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith("Basic ")) return undefined;
  return Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
}

function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

const githubConfig = { id: "github", catalog: "github", clientId: "cid", clientSecret: SECRET } as const;

describe("the test wiring", () => {
  it("keeps the catalog's quirks and moves only the endpoints", () => {
    const provider = atFake(githubConfig);
    expect(provider.normalizeTokenResponse).toBe(github.normalizeTokenResponse);
    expect(provider.tokenAuthMethod).toBe("client_secret_post");
    expect(provider.tokenRequestFormat).toBe("form");
    expect(provider.endpoints).toEqual({
      issuer: fake.origin,
      authorizationUrl: `${fake.origin}/github.com/login/oauth/authorize`,
      tokenUrl: `${fake.origin}/github.com/login/oauth/access_token`,
    });
    const notionAtFake = atFake({ id: "notion", catalog: "notion", clientId: "cid", clientSecret: SECRET });
    expect(notionAtFake.tokenRequestFormat).toBe("json");
    expect(
      atFake({ id: "slack", catalog: "slack", clientId: "cid", clientSecret: SECRET }).scopeParameter,
    ).toBe("user_scope");
  });

  it("refuses to let an un-pointed provider reach the internet", async () => {
    const real = resolveProvider(githubConfig);
    const failure = await failureOf(oauthClient().exchangeCode(real, callback("github"), requestFor(real)));
    expect(failure.code).toBe("provider_error");
    expect(refused.splice(0)).toEqual(["https://github.com/login/oauth/access_token"]);
  });
});

describe("GitHub", () => {
  const userUrl = "https://api.github.com/user";

  it("exchanges the code with client_secret_post and PKCE, and finds the login", async () => {
    fake.on("POST", github.tokenUrl, () => ({
      body: {
        access_token: "gho-fake-access-token-for-tests",
        token_type: "bearer",
        scope: "repo,read:user",
      },
    }));
    fake.on("GET", userUrl, () => ({ body: { login: "octocat", id: 1 } }));

    const result = await exchange(atFake(githubConfig));

    expect(result).toEqual({
      tokens: { accessToken: "gho-fake-access-token-for-tests", tokenType: "bearer" },
      scopes: ["repo", "read:user"],
      accountIdentifier: "octocat",
    });
    const token = onlyRequestTo(github.tokenUrl);
    expect(token.method).toBe("POST");
    expect(token.headers["content-type"]).toBe(FORM);
    expect(token.headers.accept).toBe("application/json");
    expect(token.headers.authorization).toBeUndefined();
    expect(formOf(token)).toEqual({
      grant_type: "authorization_code",
      code: "abc",
      redirect_uri: redirectUri("github"),
      code_verifier: VERIFIER,
      client_id: "cid",
      client_secret: SECRET,
    });
    const user = onlyRequestTo(userUrl);
    expect(user.method).toBe("GET");
    expect(user.headers.authorization).toBe("Bearer gho-fake-access-token-for-tests");
    expect(user.headers["x-github-api-version"]).toBe("2022-11-28");
    expect(user.headers.accept).toContain("application/vnd.github+json");
  });

  it("turns an error delivered with HTTP 200 into provider_error, without the client secret", async () => {
    fake.on("POST", github.tokenUrl, () => ({
      body: {
        error: "bad_verification_code",
        error_description: "The code passed is incorrect or expired.",
        error_uri:
          "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code",
      },
    }));

    const failure = await failureOf(exchange(atFake(githubConfig)));

    expect(failure.code).toBe("provider_error");
    expect(failure.message).toBe(
      "GitHub did not accept the sign-in (bad_verification_code). Please try again.",
    );
    expect(failure.detail).toContain("bad_verification_code");
    expect(failure.detail).toContain("The code passed is incorrect or expired.");
    expect(`${failure.message} ${failure.detail} ${failure.stack}`).not.toContain(SECRET);
    expect(fake.requestsTo(userUrl)).toEqual([]);
  });

  it("reports redirect_uri_mismatch (HTTP 200) as provider_config", async () => {
    fake.on("POST", github.tokenUrl, () => ({
      body: {
        error: "redirect_uri_mismatch",
        error_description: "The redirect_uri MUST match the registered callback URL for this application.",
      },
    }));

    const failure = await failureOf(exchange(atFake(githubConfig)));

    expect(failure.code).toBe("provider_config");
    expect(failure.detail).toContain("redirect_uri_mismatch");
  });

  // GitHub reports a wrong client id/secret as `incorrect_client_credentials` (HTTP 200), not
  // RFC 6749's `invalid_client`: a misconfigured OAuth app, not a transient provider error.
  it("reports incorrect_client_credentials (HTTP 200) as provider_config", async () => {
    fake.on("POST", github.tokenUrl, () => ({
      body: {
        error: "incorrect_client_credentials",
        error_description: "The client_id and/or client_secret passed are incorrect.",
      },
    }));

    const failure = await failureOf(exchange(atFake(githubConfig)));

    expect(`${failure.message} ${failure.detail}`).not.toContain(SECRET);
    expect(failure.detail).toContain("incorrect_client_credentials");
    expect(failure.code).toBe("provider_config");
  });
});

describe("Slack", () => {
  // A real-looking Slack app: its client id contains a dot.
  const slackConfig = {
    id: "slack",
    catalog: "slack",
    clientId: "2141029472.691202649728",
    clientSecret: "e1b9e11dfcd19c1982d5de12921e17e8c",
  } as const;
  const authTestUrl = "https://slack.com/api/auth.test";

  it("takes the user token nested in authed_user and identifies team:user", async () => {
    fake.on("POST", slack.tokenUrl, () => ({
      body: {
        ok: true,
        authed_user: { id: "U1", scope: "users:read", access_token: "xoxp-1-abc", token_type: "user" },
        team: { id: "T1" },
      },
    }));

    const result = await exchange(atFake(slackConfig));

    expect(result).toEqual({
      tokens: { accessToken: "xoxp-1-abc", tokenType: "bearer" },
      scopes: ["users:read"],
      accountIdentifier: "T1:U1",
    });
    const token = onlyRequestTo(slack.tokenUrl);
    expect(token.method).toBe("POST");
    expect(token.headers["content-type"]).toBe(FORM);
    expect(token.headers.accept).toBe("application/json");
    // client_secret_basic: the credentials are in the header only, and the catalog sends no PKCE.
    expect(formOf(token)).toEqual({
      grant_type: "authorization_code",
      code: "abc",
      redirect_uri: redirectUri("slack"),
    });
    // Unreserved characters stay as they are inside the Basic credentials (see clientSecretBasic).
    expect(basicCredentials(token)).toBe("2141029472.691202649728:e1b9e11dfcd19c1982d5de12921e17e8c");
    expect(fake.requestsTo(authTestUrl)).toEqual([]);
  });

  it("keeps a rotating user token's refresh token and expiry, and asks auth.test when team is absent", async () => {
    fake.on("POST", slack.tokenUrl, () => ({
      body: {
        ok: true,
        authed_user: {
          id: "U2",
          scope: "users:read,chat:write",
          access_token: "xoxe.xoxp-1-def",
          token_type: "user",
          refresh_token: "xoxe-1-ghi",
          expires_in: 43200,
        },
        team: null,
        enterprise: { id: "E1" },
        is_enterprise_install: true,
      },
    }));
    fake.on("GET", authTestUrl, () => ({ body: { ok: true, team_id: "T2", user_id: "U2" } }));

    const result = await exchange(atFake(slackConfig));

    expect(result).toEqual({
      tokens: {
        accessToken: "xoxe.xoxp-1-def",
        tokenType: "bearer",
        refreshToken: "xoxe-1-ghi",
        expiresAt: NOW + 43200 * 1000,
      },
      scopes: ["users:read", "chat:write"],
      accountIdentifier: "T2:U2",
    });
    expect(onlyRequestTo(authTestUrl).headers.authorization).toBe("Bearer xoxe.xoxp-1-def");
  });

  it("turns {ok:false} with HTTP 200 into a ConnectFailure", async () => {
    fake.on("POST", slack.tokenUrl, () => ({ body: { ok: false, error: "invalid_code" } }));

    const failure = await failureOf(exchange(atFake(slackConfig)));

    expect(failure.code).toBe("provider_error");
    expect(failure.message).toBe("Slack did not accept the sign-in (invalid_code). Please try again.");
    expect(failure.detail).toContain("invalid_code");
    expect(`${failure.message} ${failure.detail}`).not.toContain(slackConfig.clientSecret);
  });

  // Slack's oauth.v2.access reports client/registration problems as `bad_client_secret`,
  // `invalid_client_id` and `bad_redirect_uri` (HTTP 200, {ok:false}): configuration errors.
  it.each(["bad_client_secret", "invalid_client_id", "bad_redirect_uri"])(
    "reports %s (HTTP 200, ok:false) as provider_config",
    async (error) => {
      fake.on("POST", slack.tokenUrl, () => ({ body: { ok: false, error } }));

      const failure = await failureOf(exchange(atFake(slackConfig)));

      expect(failure.detail).toContain(error);
      expect(failure.code).toBe("provider_config");
    },
  );

  it("asks for user scopes in user_scope, comma-separated, without PKCE", async () => {
    const provider = atFake({ ...slackConfig, scopes: ["users:read", "chat:write"] });

    const url = await oauthClient().authorizationUrl(provider, requestFor(provider));

    expect(url.startsWith(`${fake.mirror(slack.authorizationUrl)}?`)).toBe(true);
    expect(queryOf(url)).toEqual({
      response_type: "code",
      client_id: "2141029472.691202649728",
      redirect_uri: redirectUri("slack"),
      user_scope: "users:read,chat:write",
      state: STATE,
    });
  });
});

describe("Notion", () => {
  // Real-looking Notion credentials: a UUID client id and a `secret_` client secret.
  const notionConfig = {
    id: "notion",
    catalog: "notion",
    clientId: "1c8d872b-594c-8029-a6a4-0037c2d0a1b2",
    clientSecret: "secret_Xy9kLmN0pQrS",
  } as const;
  const expectedCredentials = "1c8d872b-594c-8029-a6a4-0037c2d0a1b2:secret_Xy9kLmN0pQrS";

  it("sends a JSON token request with Basic auth and identifies workspace:email", async () => {
    fake.on("POST", notion.tokenUrl, (request) => {
      // Like Notion: a form body or missing Basic auth is refused.
      if (request.headers["content-type"] !== "application/json" || basicCredentials(request) === undefined) {
        return {
          status: 400,
          body: { error: "invalid_request", error_description: "body failed validation" },
        };
      }
      return {
        body: {
          access_token: "ntn_abc123",
          token_type: "bearer",
          bot_id: "b1",
          workspace_id: "w1",
          workspace_name: "Acme",
          workspace_icon: null,
          owner: { type: "user", user: { object: "user", id: "u1", person: { email: "n@example.com" } } },
          duplicated_template_id: null,
          request_id: "r1",
        },
      };
    });

    const result = await exchange(atFake(notionConfig));

    expect(result).toEqual({
      tokens: { accessToken: "ntn_abc123", tokenType: "bearer" },
      scopes: [],
      accountIdentifier: "w1:n@example.com",
    });
    const token = onlyRequestTo(notion.tokenUrl);
    expect(token.method).toBe("POST");
    expect(token.headers["content-type"]).toBe("application/json");
    expect(token.headers.accept).toBe("application/json");
    expect(JSON.parse(token.body)).toEqual({
      grant_type: "authorization_code",
      code: "abc",
      redirect_uri: redirectUri("notion"),
    });
    expect(new URLSearchParams(token.body).has("grant_type")).toBe(false);
    // As for Slack, unreserved characters (- and _) are sent as they are.
    expect(basicCredentials(token)).toBe(expectedCredentials);
  });

  it("identifies a workspace-owned token by the workspace alone", async () => {
    fake.on("POST", notion.tokenUrl, () => ({
      body: {
        access_token: "ntn_ws",
        token_type: "bearer",
        workspace_id: "w9",
        owner: { type: "workspace" },
      },
    }));

    expect((await exchange(atFake(notionConfig))).accountIdentifier).toBe("w9");
  });

  it("adds owner=user and no scope to the authorize URL", async () => {
    const provider = atFake(notionConfig);

    const url = await oauthClient().authorizationUrl(provider, requestFor(provider));

    expect(queryOf(url)).toEqual({
      response_type: "code",
      client_id: notionConfig.clientId,
      redirect_uri: redirectUri("notion"),
      state: STATE,
      owner: "user",
    });
  });
});

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
      body: { userPrincipalName: "adele@contoso.com", mail: "adele@contoso.com" },
    }));

    const result = await exchange(atFake(microsoftConfig));

    expect(result).toEqual({
      tokens: {
        accessToken: "EwBwA8l6BAAU",
        tokenType: "bearer",
        refreshToken: "M.C105_BAY.0.U",
        expiresAt: NOW + 3599 * 1000,
      },
      scopes: ["User.Read", "offline_access", "openid", "profile"],
      accountIdentifier: "adele@contoso.com",
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
      },
      scopes: ["openid", "https://www.googleapis.com/auth/userinfo.email"],
      accountIdentifier: "g@example.com",
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

describe("GitHub authorize URL", () => {
  it("has S256 PKCE, state, redirect_uri, space-separated scopes and no nonce", async () => {
    const provider = atFake({ ...githubConfig, scopes: ["repo", "read:user"] });

    const url = await oauthClient().authorizationUrl(provider, requestFor(provider));

    expect(url.startsWith(`${fake.mirror(github.authorizationUrl)}?`)).toBe(true);
    expect(queryOf(url)).toEqual({
      response_type: "code",
      client_id: "cid",
      redirect_uri: redirectUri("github"),
      scope: "repo read:user",
      state: STATE,
      code_challenge: CHALLENGE,
      code_challenge_method: "S256",
    });
    expect(url).toContain("scope=repo+read%3Auser");
  });
});

describe("unusable or unreachable token endpoints", () => {
  const notionConfig = { id: "notion", catalog: "notion", clientId: "cid", clientSecret: SECRET } as const;
  const html = { "content-type": "text/html; charset=utf-8" };
  const cases = [
    {
      name: "GitHub",
      config: githubConfig,
      tokenUrl: github.tokenUrl,
      status: 200,
      body: "<html>Sign in</html>",
    },
    {
      name: "GitHub",
      config: githubConfig,
      tokenUrl: github.tokenUrl,
      status: 500,
      body: "<html>Oops</html>",
    },
    {
      name: "Notion",
      config: notionConfig,
      tokenUrl: notion.tokenUrl,
      status: 200,
      body: "<html>Sign in</html>",
    },
    {
      name: "Notion",
      config: notionConfig,
      tokenUrl: notion.tokenUrl,
      status: 502,
      body: "<html>Bad gateway</html>",
    },
  ];

  it.each(cases)(
    "$name: HTML with HTTP $status → provider_error",
    async ({ name, config, tokenUrl, status, body }) => {
      fake.on("POST", tokenUrl, () => ({ status, headers: html, body }));

      const failure = await failureOf(exchange(atFake(config)));

      expect(failure.code).toBe("provider_error");
      expect(failure.message).toBe(`${name} answered with something the vault could not use.`);
      expect(`${failure.message} ${failure.detail}`).not.toContain(SECRET);
    },
  );

  it("GitHub: a 200 JSON without access_token → provider_error", async () => {
    fake.on("POST", github.tokenUrl, () => ({ body: { scope: "repo" } }));

    const failure = await failureOf(exchange(atFake(githubConfig)));

    expect(failure.code).toBe("provider_error");
    expect(failure.detail).toContain("access_token");
  });

  it("a closed port → provider_error saying it could not be reached, at once", async () => {
    const closedPort = await freePort();
    const provider = atFake(githubConfig);
    const unreachable: ResolvedProvider = {
      ...provider,
      endpoints: {
        issuer: fake.origin,
        authorizationUrl: fake.mirror(github.authorizationUrl),
        tokenUrl: `http://127.0.0.1:${closedPort}/login/oauth/access_token`,
      },
    };
    const started = performance.now();

    const failure = await failureOf(exchange(unreachable));

    expect(performance.now() - started).toBeLessThan(2_000);
    expect(failure.code).toBe("provider_error");
    expect(failure.message).toBe("GitHub could not be reached.");
    expect(failure.detail).toContain("fetch failed");
  });
});
