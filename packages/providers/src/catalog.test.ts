import { describe, expect, it } from "vitest";
import { CATALOG, catalogNames, getCatalogEntry } from "./catalog.js";
import type { IdentityContext, TokenResponseBody } from "./types.js";

/** Providers that have no OAuth scopes at all (capabilities are configured on the app instead). */
const SCOPELESS = new Set(["notion"]);

interface Request {
  url: string;
  headers: Record<string, string> | undefined;
}

/** A fake IdentityContext whose fetchJson answers from `responses` (by URL) and records requests. */
function fakeContext(
  sample: { tokenResponse?: TokenResponseBody; idTokenClaims?: Record<string, unknown> },
  responses: Record<string, unknown> = {},
): { context: IdentityContext; requests: Request[] } {
  const requests: Request[] = [];
  const context: IdentityContext = {
    tokenResponse: sample.tokenResponse ?? { access_token: "at", token_type: "Bearer" },
    accessToken: "at",
    idTokenClaims: sample.idTokenClaims,
    async fetchJson(url, headers) {
      requests.push({ url, headers });
      if (!(url in responses)) throw new Error(`unexpected GET ${url}`);
      return responses[url];
    },
  };
  return { context, requests };
}

describe("catalog", () => {
  const entries = Object.entries(CATALOG);

  it("lists the providers and looks them up by name", () => {
    expect(catalogNames()).toEqual(["github", "gitlab", "google", "microsoft", "notion", "slack"]);
    expect(getCatalogEntry("github")?.displayName).toBe("GitHub");
    expect(getCatalogEntry("nope")).toBeUndefined();
    expect(getCatalogEntry("toString")).toBeUndefined();
  });

  it.each(entries)("%s has a valid shape", (key, entry) => {
    expect(entry.name).toBe(key);
    expect(entry.name).toMatch(/^[a-z0-9-]+$/);
    expect(entry.displayName.trim()).not.toBe("");
    const endpoints = [entry.authorizationUrl, entry.tokenUrl, entry.userinfoUrl, entry.revocationUrl];
    for (const url of endpoints.filter((u) => u !== undefined)) {
      expect(new URL(url).protocol, url).toBe("https:");
    }
    expect(entry.apiBaseUrls.length).toBeGreaterThan(0);
    for (const url of entry.apiBaseUrls) {
      expect(new URL(url).protocol, url).toBe("https:");
      expect(url.endsWith("/"), url).toBe(false);
      expect(new URL(url).search + new URL(url).hash, url).toBe("");
    }
    expect([" ", ","]).toContain(entry.scopeSeparator);
    if (SCOPELESS.has(key)) expect(entry.defaultScopes).toEqual([]);
    else expect(entry.defaultScopes.length).toBeGreaterThan(0);
    for (const scope of entry.defaultScopes) expect(scope, scope).toMatch(/^[^\s,]+$/);
    if (entry.kind === "oidc") {
      expect(entry.issuer).toBeDefined();
      expect(new URL(entry.issuer ?? "").protocol).toBe("https:");
      expect(entry.defaultScopes).toContain("openid");
    } else {
      expect(entry.kind).toBe("oauth2");
    }
    expect(["client_secret_basic", "client_secret_post"]).toContain(entry.tokenAuthMethod);
    expect(typeof entry.pkce).toBe("boolean");
  });
});

const GITHUB_HEADERS = { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" };

const IDENTITY_SAMPLES: Record<
  string,
  {
    sample: { tokenResponse?: TokenResponseBody; idTokenClaims?: Record<string, unknown> };
    responses?: Record<string, unknown>;
    expected: { subject: string; label: string };
    requested: Request[];
  }
> = {
  github: {
    sample: {},
    responses: { "https://api.github.com/user": { login: "octocat", id: 1 } },
    expected: { subject: "1", label: "octocat" },
    requested: [{ url: "https://api.github.com/user", headers: GITHUB_HEADERS }],
  },
  google: {
    sample: { idTokenClaims: { sub: "1", email: "jane@example.com", email_verified: true } },
    expected: { subject: "1", label: "jane@example.com" },
    requested: [],
  },
  microsoft: {
    sample: {},
    responses: {
      "https://graph.microsoft.com/v1.0/me": {
        id: "b0b6a3a1-0000-4000-8000-000000000001",
        userPrincipalName: "jane@contoso.com",
        mail: null,
      },
    },
    expected: { subject: "b0b6a3a1-0000-4000-8000-000000000001", label: "jane@contoso.com" },
    requested: [{ url: "https://graph.microsoft.com/v1.0/me", headers: undefined }],
  },
  slack: {
    sample: {
      tokenResponse: { access_token: "xoxp-1", team: { id: "T1", name: "Acme" }, authed_user: { id: "U1" } },
    },
    expected: { subject: '["T1","U1"]', label: "T1:U1" },
    requested: [],
  },
  gitlab: {
    sample: { idTokenClaims: { sub: "42", nickname: "jdoe" } },
    expected: { subject: "42", label: "jdoe" },
    requested: [],
  },
  notion: {
    sample: {
      tokenResponse: {
        access_token: "secret_x",
        workspace_id: "ws-1",
        owner: { type: "user", user: { id: "u-1", type: "person", person: { email: "jane@example.com" } } },
      },
    },
    expected: { subject: '["ws-1","u-1"]', label: "ws-1:jane@example.com" },
    requested: [],
  },
};

describe("identifyAccount", () => {
  it("has a sample for every catalog entry", () => {
    expect(Object.keys(IDENTITY_SAMPLES).sort()).toEqual(catalogNames());
  });

  it.each(Object.entries(IDENTITY_SAMPLES))("%s reads the subject and the label", async (name, row) => {
    const { context, requests } = fakeContext(row.sample, row.responses);
    await expect(getCatalogEntry(name)?.identifyAccount(context)).resolves.toEqual(row.expected);
    expect(requests).toEqual(row.requested);
  });
});
