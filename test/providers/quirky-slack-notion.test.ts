import { notion, slack } from "@grantvault/providers";
import { describe, expect, it } from "vitest";
import {
  atFake,
  basicCredentials,
  exchange,
  FORM,
  failureOf,
  fake,
  formOf,
  NOW,
  oauthClient,
  onlyRequestTo,
  queryOf,
  redirectUri,
  requestFor,
  STATE,
  useFakeProvider,
} from "./quirky-support.js";

/** Slack's and Notion's quirks: nested user tokens and {ok:false}, JSON token requests and owner=user. */

useFakeProvider();

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
      accountSubject: '["T1","U1"]',
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
        lifetimeMs: 43200 * 1000,
      },
      scopes: ["users:read", "chat:write"],
      accountIdentifier: "T2:U2",
      accountSubject: '["T2","U2"]',
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
      accountSubject: '["w1","u1"]',
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
