import { describe, expect, it } from "vitest";
import { github } from "./github.js";
import { gitlab } from "./gitlab.js";
import { google } from "./google.js";
import { microsoft } from "./microsoft.js";
import { notion } from "./notion.js";
import { slack } from "./slack.js";
import type { IdentityContext, TokenResponseBody } from "./types.js";

/** Fallback paths and failures of the identity lookups; catalog.test.ts covers the main path. */
function context(
  responses: Record<string, unknown>,
  extra: { tokenResponse?: TokenResponseBody; idTokenClaims?: Record<string, unknown> } = {},
): IdentityContext & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    tokenResponse: extra.tokenResponse ?? { access_token: "at", token_type: "Bearer" },
    accessToken: "at",
    idTokenClaims: extra.idTokenClaims,
    async fetchJson(url) {
      urls.push(url);
      if (!(url in responses)) throw new Error(`unexpected GET ${url}`);
      return responses[url];
    },
  };
}

describe("identity fallbacks", () => {
  it("google falls back to userinfo without an ID token email", async () => {
    const ctx = context({
      "https://openidconnect.googleapis.com/v1/userinfo": { sub: "1", email: "a@b.com" },
    });
    await expect(google.accountIdentifier(ctx)).resolves.toBe("a@b.com");
    expect(ctx.urls).toEqual(["https://openidconnect.googleapis.com/v1/userinfo"]);
  });

  it("microsoft prefers mail for guest UPNs and falls back to mail without a UPN", async () => {
    const me = "https://graph.microsoft.com/v1.0/me";
    const guest = context({
      [me]: { userPrincipalName: "jane_x.com#EXT#@t.onmicrosoft.com", mail: "jane@x.com" },
    });
    await expect(microsoft.accountIdentifier(guest)).resolves.toBe("jane@x.com");
    await expect(microsoft.accountIdentifier(context({ [me]: { mail: "m@x.com" } }))).resolves.toBe(
      "m@x.com",
    );
  });

  it("slack asks auth.test when the token response lacks team or user", async () => {
    const ctx = context({ "https://slack.com/api/auth.test": { ok: true, team_id: "T9", user_id: "U9" } });
    await expect(slack.accountIdentifier(ctx)).resolves.toBe("T9:U9");
    expect(ctx.urls).toEqual(["https://slack.com/api/auth.test"]);
  });

  it("gitlab reads /api/v4/user without identifying claims", async () => {
    const ctx = context(
      { "https://gitlab.com/api/v4/user": { id: 7, username: "jdoe" } },
      { idTokenClaims: {} },
    );
    await expect(gitlab.accountIdentifier(ctx)).resolves.toBe("jdoe");
    expect(ctx.urls).toEqual(["https://gitlab.com/api/v4/user"]);
  });

  it("notion falls back to the user id, then to the workspace alone", async () => {
    const byId = { workspace_id: "ws", owner: { type: "user", user: { id: "u-1", type: "bot" } } };
    await expect(notion.accountIdentifier(context({}, { tokenResponse: byId }))).resolves.toBe("ws:u-1");
    const workspaceOwned = { workspace_id: "ws", owner: { type: "workspace", workspace: true } };
    await expect(notion.accountIdentifier(context({}, { tokenResponse: workspaceOwned }))).resolves.toBe(
      "ws",
    );
  });
});

describe("identity failures throw a clear Error", () => {
  it("github without a login", async () => {
    const ctx = context({ "https://api.github.com/user": { id: 1 } });
    await expect(github.accountIdentifier(ctx)).rejects.toThrow(/GitHub identity lookup.*`login`/);
  });

  it("google without any email", async () => {
    const ctx = context({ "https://openidconnect.googleapis.com/v1/userinfo": { sub: "1" } });
    await expect(google.accountIdentifier(ctx)).rejects.toThrow(/Google identity lookup.*email/);
  });

  it("microsoft without upn or mail", async () => {
    const ctx = context({ "https://graph.microsoft.com/v1.0/me": { id: "x", mail: null } });
    await expect(microsoft.accountIdentifier(ctx)).rejects.toThrow(/Microsoft identity lookup/);
  });

  it("slack when auth.test says ok: false", async () => {
    const ctx = context({ "https://slack.com/api/auth.test": { ok: false, error: "invalid_auth" } });
    await expect(slack.accountIdentifier(ctx)).rejects.toThrow(/Slack identity lookup.*invalid_auth/);
  });

  it("gitlab without a username", async () => {
    const ctx = context({ "https://gitlab.com/api/v4/user": { id: 7 } }, { idTokenClaims: {} });
    await expect(gitlab.accountIdentifier(ctx)).rejects.toThrow(/GitLab identity lookup/);
  });

  it("notion without a workspace", async () => {
    const ctx = context(
      {},
      { tokenResponse: { access_token: "x", owner: { type: "user", user: { id: "u" } } } },
    );
    await expect(notion.accountIdentifier(ctx)).rejects.toThrow(/Notion identity lookup.*workspace_id/);
  });
});
