import { describe, expect, it } from "vitest";
import { parseProviderConfigs, RESERVED_AUTHORIZE_PARAMS } from "./provider-config.js";
import { resolveProvider } from "./resolve-provider.js";

const client = { clientId: "id", clientSecret: "secret" };

describe("providers file", () => {
  it("accepts catalog, OIDC and OAuth 2.0 entries, as an array or under `providers`", () => {
    const entries = [
      { id: "github", catalog: "github", ...client },
      { id: "corp", type: "oidc", issuer: "https://login.example.com", ...client },
      {
        id: "octo",
        type: "oauth2",
        authorizationUrl: "https://octo.example/authorize",
        tokenUrl: "https://octo.example/token",
        userinfoUrl: "https://api.octo.example/user",
        accountIdentifierField: "login",
        ...client,
      },
    ];
    const result = parseProviderConfigs({ providers: entries });
    expect("providers" in result && result.providers.map((provider) => provider.id)).toStrictEqual([
      "github",
      "corp",
      "octo",
    ]);
    expect(parseProviderConfigs(entries)).toStrictEqual(result);
  });

  it("lists every problem with its place", () => {
    const result = parseProviderConfigs([
      { id: "GitHub", catalog: "githubb", clientId: "" },
      { id: "corp", type: "oidc", issuer: "https://login.example.com", ...client },
      { id: "corp", type: "oidc", issuer: "http://login.example.com", ...client },
      { id: "corp", catalog: "google", ...client },
      { id: "x", type: "saml", ...client },
      { id: "y", catalog: "github", ...client, extra: true },
      "nope",
    ]);
    expect("problems" in result && result.problems).toStrictEqual([
      "providers[0].id: must be lowercase letters, digits, - or _ (at most 63)",
      "providers[0].clientId: is required",
      "providers[0].clientSecret: Invalid input: expected string, received undefined",
      expect.stringMatching(/^providers\[0\]\.catalog: must be one of github, gitlab, google/),
      "providers[2].issuer: must be an https URL (http only for localhost/127.0.0.1)",
      'providers[3].id: "corp" is used twice',
      'providers[4]: needs "catalog": "<name>", or "type": "oidc" or "oauth2"',
      'providers[5]: Unrecognized key: "extra"',
      "providers[6]: must be a JSON object",
    ]);
  });

  it("F15: refuses authorizeParams that would override the flow's own parameters", () => {
    const result = parseProviderConfigs([
      {
        id: "corp",
        type: "oidc",
        issuer: "https://login.example.com",
        ...client,
        authorizeParams: { hd: "example.com", code_challenge_method: "plain", State: "fixed" },
      },
      {
        id: "gh",
        catalog: "github",
        ...client,
        authorizeParams: { redirect_uri: "https://evil.example/cb" },
      },
      { id: "sl", catalog: "slack", ...client, authorizeParams: { user_scope: "admin", prompt: "consent" } },
    ]);
    expect("problems" in result && result.problems).toStrictEqual([
      expect.stringMatching(/^providers\[0\]\.authorizeParams\.code_challenge_method: is set by the vault/),
      expect.stringMatching(/^providers\[0\]\.authorizeParams\.State: is set by the vault/),
      expect.stringMatching(/^providers\[1\]\.authorizeParams\.redirect_uri: is set by the vault/),
      expect.stringMatching(/^providers\[2\]\.authorizeParams\.user_scope: is set by the vault/),
    ]);
    for (const reserved of RESERVED_AUTHORIZE_PARAMS) {
      const single = parseProviderConfigs([
        { id: "gh", catalog: "github", ...client, authorizeParams: { [reserved]: "x" } },
      ]);
      expect("problems" in single && single.problems, reserved).toHaveLength(1);
    }
    const allowed = parseProviderConfigs([
      {
        id: "g",
        catalog: "google",
        ...client,
        authorizeParams: { hd: "example.com", prompt: "select_account" },
      },
    ]);
    expect("providers" in allowed).toBe(true);
  });

  it("refuses a file that is not a list of providers", () => {
    expect(parseProviderConfigs({ github: {} })).toStrictEqual({
      problems: ['must be a JSON array of providers, or {"providers": [...]}'],
    });
  });
});

describe("resolveProvider", () => {
  it("takes endpoints, scopes and quirks from the catalog, and lets the operator narrow scopes", () => {
    const github = resolveProvider({ id: "gh", catalog: "github", ...client, scopes: ["repo"] });
    expect(github).toMatchObject({
      id: "gh",
      displayName: "GitHub",
      kind: "oauth2",
      scopes: ["repo"],
      pkce: true,
      endpoints: { authorizationUrl: "https://github.com/login/oauth/authorize" },
      allowInsecureRequests: false,
    });
    expect(github.apiBaseUrls).toContain("https://api.github.com");
    expect(github.normalizeTokenResponse).toBeTypeOf("function");
  });

  it("allows plain http only when every URL of the provider is loopback", () => {
    const local = resolveProvider({
      id: "local",
      type: "oauth2",
      authorizationUrl: "http://127.0.0.1:9000/auth",
      tokenUrl: "http://127.0.0.1:9000/token",
      userinfoUrl: "http://localhost:9001/user",
      ...client,
    });
    expect(local.allowInsecureRequests).toBe(true);
    const mixed = resolveProvider({
      id: "mixed",
      type: "oauth2",
      authorizationUrl: "http://127.0.0.1:9000/auth",
      tokenUrl: "https://idp.example/token",
      userinfoUrl: "https://idp.example/user",
      ...client,
    });
    expect(mixed.allowInsecureRequests).toBe(false);
  });

  it("reads the account identifier of a plain OAuth 2.0 provider from userinfo", async () => {
    const provider = resolveProvider({
      id: "octo",
      type: "oauth2",
      authorizationUrl: "https://octo.example/authorize",
      tokenUrl: "https://octo.example/token",
      userinfoUrl: "https://api.octo.example/user",
      accountIdentifierField: "profile.handle",
      ...client,
    });
    const context = (userinfo: unknown) => ({
      tokenResponse: {},
      accessToken: "t",
      idTokenClaims: undefined,
      fetchJson: async (url: string) => {
        expect(url).toBe("https://api.octo.example/user");
        return userinfo;
      },
    });
    expect(await provider.accountIdentifier(context({ profile: { handle: "octocat" } }))).toBe("octocat");
    await expect(provider.accountIdentifier(context({ profile: {} }))).rejects.toThrow(
      /has no profile\.handle/,
    );
  });
});
