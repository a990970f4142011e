import { github } from "@grantvault/providers";
import { describe, expect, it } from "vitest";
import {
  atFake,
  CHALLENGE,
  exchange,
  FORM,
  failureOf,
  fake,
  formOf,
  githubConfig,
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

/** GitHub's quirks: errors delivered with HTTP 200, its own error codes, and its authorize URL. */

useFakeProvider();

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
      accountSubject: "1",
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
