import { describe, expect, it } from "vitest";
import {
  type OAuth2ProviderConfig,
  type OidcProviderConfig,
  parseProviderConfigs,
  RESERVED_AUTHORIZE_PARAMS,
} from "./provider-config.js";
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
      "providers[0].clientSecret: is required",
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
    expect(await provider.identifyAccount(context({ id: 7, profile: { handle: "octocat" } }))).toEqual({
      subject: "7",
      label: "octocat",
    });
    await expect(provider.identifyAccount(context({ id: 7, profile: {} }))).rejects.toThrow(
      /has no profile\.handle/,
    );
  });

  describe("F1: the subject, never the label, identifies the account", () => {
    const octo = (extra: Partial<OAuth2ProviderConfig> = {}) =>
      resolveProvider({
        id: "octo",
        type: "oauth2",
        authorizationUrl: "https://octo.example/authorize",
        tokenUrl: "https://octo.example/token",
        userinfoUrl: "https://api.octo.example/user",
        ...client,
        ...extra,
      });
    const userinfoContext = (userinfo: unknown) => ({
      tokenResponse: {},
      accessToken: "t",
      idTokenClaims: undefined,
      fetchJson: async () => userinfo,
    });
    const idTokenContext = (claims: Record<string, unknown>) => ({
      tokenResponse: {},
      accessToken: "t",
      idTokenClaims: claims,
      fetchJson: async () => {
        throw new Error("no userinfo here");
      },
    });
    const oidc = (extra: Partial<OidcProviderConfig> = {}) =>
      resolveProvider({ id: "idp", type: "oidc", issuer: "https://idp.example", ...client, ...extra });

    it("F1: oauth2 keys by sub, else id, else the configured subjectField; never by the email", async () => {
      await expect(
        octo().identifyAccount(userinfoContext({ sub: "s-1", id: 2, email: "a@b.c", email_verified: true })),
      ).resolves.toEqual({ subject: "s-1", label: "a@b.c" });
      await expect(octo().identifyAccount(userinfoContext({ id: 2, login: "octocat" }))).resolves.toEqual({
        subject: "2",
        label: "octocat",
      });
      await expect(
        octo({ subjectField: "account.uuid" }).identifyAccount(
          userinfoContext({ id: 2, login: "x", account: { uuid: "u-9" } }),
        ),
      ).resolves.toEqual({ subject: "u-9", label: "x" });
      await expect(octo().identifyAccount(userinfoContext({ email: "a@b.c", login: "x" }))).rejects.toThrow(
        /has no sub or id.*subjectField/,
      );
    });

    it("F1: oauth2 shows an email only when it is verified", async () => {
      await expect(
        octo().identifyAccount(userinfoContext({ id: 2, email: "victim@corp.example", login: "mallory" })),
      ).resolves.toEqual({ subject: "2", label: "mallory" });
    });

    it("F1: oidc keys by issuer and sub; an unverified email is not the label", async () => {
      const claims = { iss: "https://idp.example", sub: "s-1", preferred_username: "jane" };
      await expect(
        oidc().identifyAccount(
          idTokenContext({ ...claims, email: "ceo@corp.example", email_verified: false }),
        ),
      ).resolves.toEqual({ subject: '["https://idp.example","s-1"]', label: "jane" });
      await expect(
        oidc().identifyAccount(
          idTokenContext({ ...claims, email: "jane@corp.example", email_verified: true }),
        ),
      ).resolves.toEqual({ subject: '["https://idp.example","s-1"]', label: "jane@corp.example" });
      await expect(
        oidc().identifyAccount(idTokenContext({ iss: "https://idp.example", sub: "s-2", email: "x@y.z" })),
      ).resolves.toEqual({ subject: '["https://idp.example","s-2"]', label: "s-2" });
    });

    it("F1: oidc can key by another claim (subjectField), still scoped by the issuer", async () => {
      await expect(
        oidc({ subjectField: "oid" }).identifyAccount(
          idTokenContext({ iss: "https://idp.example", sub: "pairwise", oid: "o-1" }),
        ),
      ).resolves.toEqual({ subject: '["https://idp.example","o-1"]', label: "pairwise" });
      await expect(
        oidc({ subjectField: "oid" }).identifyAccount(
          idTokenContext({ iss: "https://idp.example", sub: "s" }),
        ),
      ).rejects.toThrow(/no oid/);
    });

    it("accepts subjectField on generic entries only", () => {
      const base = { id: "x", clientId: "c", clientSecret: "s" };
      expect(
        parseProviderConfigs([{ ...base, type: "oidc", issuer: "https://i.example", subjectField: "oid" }]),
      ).toHaveProperty("providers");
      expect(parseProviderConfigs([{ ...base, catalog: "github", subjectField: "id" }])).toHaveProperty(
        "problems",
      );
    });
  });
});
