import { describe, expect, it } from "vitest";
import { github } from "./github.js";
import { microsoft } from "./microsoft.js";
import { slack } from "./slack.js";
import type { CatalogEntry, TokenResponseBody } from "./types.js";

function normalize(entry: CatalogEntry, body: TokenResponseBody, status = 200) {
  if (entry.normalizeTokenResponse === undefined) throw new Error(`${entry.name} has no normalizer`);
  return entry.normalizeTokenResponse(body, status);
}

describe("github", () => {
  it("turns a 200 carrying an error into a 400 with the same body", () => {
    const body = {
      error: "bad_verification_code",
      error_description: "The code passed is incorrect or expired.",
    };
    expect(normalize(github, body)).toEqual({ status: 400, body });
  });

  it("leaves successes untouched", () => {
    const body = { access_token: "gho_x", token_type: "bearer", scope: "read:user" };
    expect(normalize(github, body)).toEqual({ status: 200, body });
  });
});

describe("slack", () => {
  const success = {
    ok: true,
    app_id: "A1",
    authed_user: {
      id: "U1",
      scope: "users:read,chat:write",
      access_token: "xoxp-1",
      token_type: "user",
      refresh_token: "xoxe-1",
      expires_in: 43200,
    },
    team: { id: "T1", name: "Acme" },
    enterprise: null,
  };

  it("hoists the user token to the top level and keeps team/authed_user", () => {
    expect(normalize(slack, success)).toEqual({
      status: 200,
      body: {
        ok: true,
        app_id: "A1",
        access_token: "xoxp-1",
        token_type: "Bearer",
        scope: "users:read chat:write",
        refresh_token: "xoxe-1",
        expires_in: 43200,
        authed_user: { id: "U1", scope: "users:read,chat:write", token_type: "user", expires_in: 43200 },
        team: { id: "T1", name: "Acme" },
        enterprise: null,
      },
    });
  });

  it("drops top-level bot token fields when a user token is present", () => {
    const { body } = normalize(slack, {
      ...success,
      access_token: "xoxb-1",
      token_type: "bot",
      scope: "chat:write",
    });
    expect(body).toMatchObject({
      access_token: "xoxp-1",
      token_type: "Bearer",
      scope: "users:read chat:write",
    });
  });

  it("normalizes a top-level (refreshed) token", () => {
    const refreshed = { ok: true, access_token: "xoxe.xoxp-2", token_type: "user", expires_in: 43200 };
    expect(normalize(slack, { ...refreshed, refresh_token: "xoxe-2" }).body).toEqual({
      ...refreshed,
      token_type: "Bearer",
      refresh_token: "xoxe-2",
    });
  });

  it("turns ok: false into a 400 error", () => {
    expect(normalize(slack, { ok: false, error: "invalid_code" })).toEqual({
      status: 400,
      body: { error: "invalid_code" },
    });
    expect(normalize(slack, { ok: false })).toEqual({ status: 400, body: { error: "server_error" } });
  });
});

describe("microsoft", () => {
  it("drops the id_token and keeps everything else", () => {
    const body = {
      access_token: "a",
      token_type: "Bearer",
      expires_in: 3599,
      refresh_token: "r",
      id_token: "x.y.z",
    };
    const { id_token: _dropped, ...rest } = body;
    expect(normalize(microsoft, body)).toEqual({ status: 200, body: rest });
    expect(normalize(microsoft, { error: "invalid_grant" }, 400)).toEqual({
      status: 400,
      body: { error: "invalid_grant" },
    });
  });
});
