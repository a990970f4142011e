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
    const ctx = context(
      {
        "https://openidconnect.googleapis.com/v1/userinfo": {
          sub: "1",
          email: "a@b.com",
          email_verified: true,
        },
      },
      { idTokenClaims: { sub: "1" } },
    );
    await expect(google.identifyAccount(ctx)).resolves.toEqual({ subject: "1", label: "a@b.com" });
    expect(ctx.urls).toEqual(["https://openidconnect.googleapis.com/v1/userinfo"]);
  });

  it("microsoft falls back to mail without a UPN, and to the object id without either", async () => {
    const me = "https://graph.microsoft.com/v1.0/me";
    await expect(
      microsoft.identifyAccount(context({ [me]: { id: "oid-1", mail: "m@x.com" } })),
    ).resolves.toEqual({ subject: "oid-1", label: "m@x.com" });
    await expect(microsoft.identifyAccount(context({ [me]: { id: "oid-1" } }))).resolves.toEqual({
      subject: "oid-1",
      label: "oid-1",
    });
  });

  it("slack asks auth.test when the token response lacks team or user", async () => {
    const ctx = context({ "https://slack.com/api/auth.test": { ok: true, team_id: "T9", user_id: "U9" } });
    await expect(slack.identifyAccount(ctx)).resolves.toEqual({ subject: '["T9","U9"]', label: "T9:U9" });
    expect(ctx.urls).toEqual(["https://slack.com/api/auth.test"]);
  });

  it("gitlab reads /api/v4/user without identifying claims", async () => {
    const ctx = context(
      { "https://gitlab.com/api/v4/user": { id: 7, username: "jdoe" } },
      { idTokenClaims: {} },
    );
    await expect(gitlab.identifyAccount(ctx)).resolves.toEqual({ subject: "7", label: "jdoe" });
    expect(ctx.urls).toEqual(["https://gitlab.com/api/v4/user"]);
  });

  it("notion falls back to the user id, then to the workspace and its bot", async () => {
    const byId = { workspace_id: "ws", owner: { type: "user", user: { id: "u-1", type: "bot" } } };
    await expect(notion.identifyAccount(context({}, { tokenResponse: byId }))).resolves.toEqual({
      subject: '["ws","u-1"]',
      label: "ws:u-1",
    });
    const workspaceOwned = {
      workspace_id: "ws",
      bot_id: "b-1",
      owner: { type: "workspace", workspace: true },
    };
    await expect(notion.identifyAccount(context({}, { tokenResponse: workspaceOwned }))).resolves.toEqual({
      subject: '["ws","b-1"]',
      label: "ws",
    });
  });
});

/** F1: grants are keyed by the subject, so it must be what the provider never reassigns. */
describe("F1: the subject is the provider's permanent id, never the label", () => {
  it("F1: github keys a renamed login by its numeric id", async () => {
    const user = "https://api.github.com/user";
    const before = await github.identifyAccount(context({ [user]: { login: "octocat", id: 583231 } }));
    const renamed = await github.identifyAccount(context({ [user]: { login: "octo-new", id: 583231 } }));
    const squatter = await github.identifyAccount(context({ [user]: { login: "octocat", id: 99 } }));
    expect(before).toEqual({ subject: "583231", label: "octocat" });
    expect(renamed.subject).toBe(before.subject);
    expect(squatter.subject).not.toBe(before.subject);
  });

  it("F1: gitlab keys by the numeric id, from the ID token or the API alike", async () => {
    const fromToken = await gitlab.identifyAccount(
      context({}, { idTokenClaims: { sub: "42", nickname: "jdoe" } }),
    );
    const fromApi = await gitlab.identifyAccount(
      context({ "https://gitlab.com/api/v4/user": { id: 42, username: "jdoe" } }, { idTokenClaims: {} }),
    );
    expect(fromToken).toEqual({ subject: "42", label: "jdoe" });
    expect(fromApi).toEqual(fromToken);
  });

  it("F1: google labels with the email only when it is verified", async () => {
    const unverified = context(
      {
        "https://openidconnect.googleapis.com/v1/userinfo": {
          sub: "1",
          email: "victim@corp.example",
          email_verified: false,
        },
      },
      { idTokenClaims: { sub: "1", email: "victim@corp.example", email_verified: "true" } },
    );
    await expect(google.identifyAccount(unverified)).resolves.toEqual({ subject: "1", label: "1" });
  });

  it("F1: google ignores userinfo about another subject", async () => {
    const ctx = context(
      {
        "https://openidconnect.googleapis.com/v1/userinfo": {
          sub: "2",
          email: "other@b.com",
          email_verified: true,
        },
      },
      { idTokenClaims: { sub: "1" } },
    );
    await expect(google.identifyAccount(ctx)).resolves.toEqual({ subject: "1", label: "1" });
  });

  it("F1: microsoft keys by the object id and never labels a guest with its unverified mail", async () => {
    const me = "https://graph.microsoft.com/v1.0/me";
    const guest = context({
      [me]: { id: "oid-guest", userPrincipalName: "jane_x.com#EXT#@t.onmicrosoft.com", mail: "ceo@x.com" },
    });
    await expect(microsoft.identifyAccount(guest)).resolves.toEqual({
      subject: "oid-guest",
      label: "jane_x.com#EXT#@t.onmicrosoft.com",
    });
  });

  it("F1: slack and notion subjects cannot be spelled by shifting a separator", async () => {
    const a = await slack.identifyAccount(
      context({}, { tokenResponse: { team: { id: "T1:U" }, authed_user: { id: "2" } } }),
    );
    const b = await slack.identifyAccount(
      context({}, { tokenResponse: { team: { id: "T1" }, authed_user: { id: "U:2" } } }),
    );
    expect(a.label).toBe(b.label);
    expect(a.subject).not.toBe(b.subject);
  });

  it("F1: notion keys by the owner's user id, not the email shown", async () => {
    const owner = (id: string) => ({
      workspace_id: "ws",
      owner: { type: "user", user: { id, person: { email: "shared@example.com" } } },
    });
    const first = await notion.identifyAccount(context({}, { tokenResponse: owner("u-1") }));
    const second = await notion.identifyAccount(context({}, { tokenResponse: owner("u-2") }));
    expect(first.label).toBe(second.label);
    expect(first.subject).not.toBe(second.subject);
  });
});

describe("identity failures throw a clear Error", () => {
  it("github without a login or an id", async () => {
    const ctx = context({ "https://api.github.com/user": { id: 1 } });
    await expect(github.identifyAccount(ctx)).rejects.toThrow(/GitHub identity lookup.*`login`/);
    const noId = context({ "https://api.github.com/user": { login: "octocat" } });
    await expect(github.identifyAccount(noId)).rejects.toThrow(/GitHub identity lookup.*`id`/);
  });

  it("google without a subject", async () => {
    await expect(google.identifyAccount(context({}, { idTokenClaims: {} }))).rejects.toThrow(
      /Google identity lookup.*`sub`/,
    );
  });

  it("microsoft without an object id", async () => {
    const ctx = context({
      "https://graph.microsoft.com/v1.0/me": { userPrincipalName: "a@b.c", mail: null },
    });
    await expect(microsoft.identifyAccount(ctx)).rejects.toThrow(/Microsoft identity lookup.*`id`/);
  });

  it("slack when auth.test says ok: false", async () => {
    const ctx = context({ "https://slack.com/api/auth.test": { ok: false, error: "invalid_auth" } });
    await expect(slack.identifyAccount(ctx)).rejects.toThrow(/Slack identity lookup.*invalid_auth/);
  });

  it("gitlab without a username", async () => {
    const ctx = context({ "https://gitlab.com/api/v4/user": { id: 7 } }, { idTokenClaims: {} });
    await expect(gitlab.identifyAccount(ctx)).rejects.toThrow(/GitLab identity lookup/);
  });

  it("notion without a workspace", async () => {
    const ctx = context(
      {},
      { tokenResponse: { access_token: "x", owner: { type: "user", user: { id: "u" } } } },
    );
    await expect(notion.identifyAccount(ctx)).rejects.toThrow(/Notion identity lookup.*workspace_id/);
  });
});
