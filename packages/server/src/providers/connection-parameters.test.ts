import { describe, expect, it } from "vitest";
import { bindProvider } from "./bind-provider.js";
import {
  connectionParamsProblems,
  fillUrl,
  originSourceOf,
  UnsafeConnectionParams,
} from "./connection-parameters.js";
import { parseProviderDocument } from "./provider-config.js";
import { resolveProvider } from "./resolve-provider.js";

const client = { clientId: "id", clientSecret: "secret" };
const tenantProvider = {
  id: "corp",
  type: "oauth2",
  authorizationUrl: "https://{tenant}.auth.example.com/oauth/authorize",
  tokenUrl: "https://{tenant}.auth.example.com/oauth/token",
  userinfoUrl: "https://api.example.com/t/{tenant}/me",
  apiBaseUrls: ["https://api.example.com/t/{tenant}"],
  parameters: [{ name: "tenant", displayName: "Tenant", description: "Your company's short name" }],
  ...client,
};

function issuesOf(document: unknown): string[] {
  const result = parseProviderDocument(document);
  return "issues" in result ? result.issues.map((issue) => `${issue.path}: ${issue.message}`) : [];
}

describe("provider documents with parameters", () => {
  it("accepts placeholders of declared parameters in every URL field", () => {
    expect(issuesOf(tenantProvider)).toStrictEqual([]);
    expect(
      issuesOf({
        id: "okta",
        type: "oidc",
        issuer: "https://{org}.okta.example.com",
        apiBaseUrls: ["https://{org}.okta.example.com/api/v1"],
        parameters: [{ name: "org", pattern: "[a-z]+" }],
        ...client,
      }),
    ).toStrictEqual([]);
  });

  it("reports every problem: undeclared, unused, bad name, bad pattern, bad URL after filling", () => {
    expect(
      issuesOf({
        ...tenantProvider,
        authorizationUrl: "https://{tenant}.auth.example.com/{region}/authorize",
        tokenUrl: "http://{tenant}.auth.example.com/token",
        revocationUrl: "https://{Bad Name}.example.com/revoke",
        issuer: "https://{tenant}",
        parameters: [
          { name: "tenant" },
          { name: "unused" },
          { name: "9lives" },
          { name: "shop", pattern: "([a-z" },
          { name: "tenant" },
        ],
      }),
    ).toStrictEqual([
      "parameters.2.name: must be a lowercase letter then lowercase letters, digits or _ (at most 32)",
      "parameters.3.pattern: is not a valid regular expression",
      "tokenUrl: must be an https URL (http only for localhost/127.0.0.1)",
      "revocationUrl: {Bad Name} is not a parameter name",
      "issuer: a placeholder in the host must be followed by the provider's domain ({tenant}.example.com)",
      'parameters.4.name: "tenant" is declared twice',
      'authorizationUrl: {region} is not a declared parameter (add it to "parameters")',
      'parameters.1.name: "unused" is not used in any URL',
      'parameters.3.name: "shop" is not used in any URL',
    ]);
  });

  it("refuses a pattern whose nested repetition could backtrack for minutes on a typed value", () => {
    for (const pattern of ["(a+)+", "([a-z]*)*x", "(\\w{2,})+"]) {
      expect(issuesOf({ ...tenantProvider, parameters: [{ name: "tenant", pattern }] })).toStrictEqual([
        "parameters.0.pattern: has a repeated group that repeats inside ((a+)+): a typed value could make it run for minutes",
      ]);
    }
    expect(
      issuesOf({ ...tenantProvider, parameters: [{ name: "tenant", pattern: "[a-z]+(-[a-z]+)*" }] }),
    ).toStrictEqual([]);
  });

  it("refuses a placeholder in the scheme, and placeholders without parameters", () => {
    expect(issuesOf({ ...tenantProvider, tokenUrl: "{tenant}://example.com/token" })).toContain(
      "tokenUrl: a placeholder cannot be in the scheme",
    );
    const { parameters: _, ...withoutParameters } = tenantProvider;
    expect(issuesOf(withoutParameters)).toContain(
      'authorizationUrl: {tenant} is not a declared parameter (add it to "parameters")',
    );
  });
});

describe("binding a provider to a connection's values", () => {
  const template = resolveProvider((parseProviderDocument(tenantProvider) as { provider: never }).provider);

  it("fills every URL and the API hosts with the tenant", () => {
    const bound = bindProvider(template, { tenant: "acme" });
    expect(bound.endpoints).toMatchObject({
      authorizationUrl: "https://acme.auth.example.com/oauth/authorize",
      tokenUrl: "https://acme.auth.example.com/oauth/token",
      userinfoUrl: "https://api.example.com/t/acme/me",
      issuer: "https://acme.auth.example.com",
    });
    expect(bound.apiBaseUrls).toStrictEqual(["https://api.example.com/t/acme"]);
    expect(bound.connectionParams).toStrictEqual({ tenant: "acme" });
  });

  it("refuses missing, unknown and badly formed values", () => {
    expect(() => bindProvider(template, {})).toThrow(UnsafeConnectionParams);
    expect(() => bindProvider(template, { tenant: "acme", other: "x" })).toThrow(UnsafeConnectionParams);
    expect(() => bindProvider(template, { tenant: "ACME" })).toThrow(UnsafeConnectionParams);
    expect(connectionParamsProblems(template.parameters, { other: "x" })).toStrictEqual([
      { path: "other", message: "is not a parameter of this provider (it takes: tenant)" },
      { path: "tenant", message: "is required" },
    ]);
  });

  it("security: no hostile value passes, even with a pattern that allows anything", () => {
    const permissive = [{ name: "tenant", pattern: ".*" }];
    const hostile = [
      "evil.com/",
      "evil.com/x",
      "a#",
      "a?x=1",
      "..",
      ".",
      "a..b",
      "%2f",
      "a%2e%2e",
      "a@evil.com",
      "evil.com:443",
      "a\\b",
      "a b",
      "ünicode",
      "аcme", // Cyrillic а
      "a\u0000",
      "a\n",
      "x".repeat(101),
      "",
      "-",
      ".evil",
    ];
    for (const value of hostile) {
      expect(
        connectionParamsProblems(permissive, { tenant: value }),
        JSON.stringify(value),
      ).not.toStrictEqual([]);
      expect(() => fillUrl("https://{tenant}.auth.example.com/x", permissive, { tenant: value })).toThrow(
        UnsafeConnectionParams,
      );
      expect(() => bindProvider(template, { tenant: value })).toThrow(UnsafeConnectionParams);
    }
  });

  it("a value with dots stays inside its label's position (the host keeps the provider's domain)", () => {
    const permissive = [{ name: "tenant", pattern: "[a-z.]+" }];
    const url = new URL(fillUrl("https://{tenant}.auth.example.com/x", permissive, { tenant: "evil.com" }));
    expect(url.hostname).toBe("evil.com.auth.example.com");
    expect(url.pathname).toBe("/x");
  });

  it("a CSP form-action source covers every filling of a host placeholder", () => {
    expect(originSourceOf("https://{tenant}.auth.example.com/a")).toBe("https://*.auth.example.com");
    expect(originSourceOf("https://login-{t}.example.com:8443/a")).toBe("https://*.example.com:8443");
    expect(originSourceOf("http://127.0.0.1:4000/t/{tenant}/auth")).toBe("http://127.0.0.1:4000");
  });
});
