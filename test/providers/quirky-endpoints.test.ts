import { github, notion } from "@grantvault/providers";
import { describe, expect, it } from "vitest";
import { type ResolvedProvider, resolveProvider } from "../../packages/server/src/testing.js";
import { freePort } from "../harness/free-port.js";
import {
  atFake,
  callback,
  exchange,
  failureOf,
  fake,
  githubConfig,
  oauthClient,
  refused,
  requestFor,
  SECRET,
  useFakeProvider,
} from "./quirky-support.js";

/** The fake endpoints themselves, and token endpoints that answer unusably or not at all, for any provider. */

useFakeProvider();

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
