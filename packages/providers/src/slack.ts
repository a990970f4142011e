import { isRecord, missingIdentifier, pick, pickString, subjectOf } from "./helpers.js";
import type { CatalogEntry, TokenResponseBody } from "./types.js";

const API = "https://slack.com/api";
const TOKEN_FIELDS = ["access_token", "token_type", "scope", "refresh_token", "expires_in"] as const;

/** Slack scopes are comma-separated; a standard token response separates them with spaces. */
function spaceScopes(scope: unknown): string | undefined {
  return typeof scope === "string" ? scope.split(",").filter(Boolean).join(" ") : undefined;
}

/** Slack OAuth v2 success → RFC 6749 §5.1, the user token (in `authed_user`) moved to the top level. */
function hoistUserToken(body: TokenResponseBody): TokenResponseBody {
  const user = isRecord(body.authed_user) ? body.authed_user : undefined;
  const source = typeof user?.access_token === "string" ? user : body;
  if (typeof source.access_token !== "string") return body;
  const result: TokenResponseBody = { ...body };
  for (const field of TOKEN_FIELDS) delete result[field];
  if (user !== undefined) {
    // Keep the user's id for identity, without a second copy of the secrets.
    const { access_token: _a, refresh_token: _r, ...identity } = user;
    result.authed_user = identity;
  }
  result.access_token = source.access_token;
  result.token_type = "Bearer";
  const scope = spaceScopes(source.scope);
  if (scope !== undefined) result.scope = scope;
  if (source.refresh_token !== undefined) result.refresh_token = source.refresh_token;
  if (source.expires_in !== undefined) result.expires_in = source.expires_in;
  return result;
}

function slackAccount(team: string, user: string) {
  return { subject: subjectOf(team, user), label: `${team}:${user}` };
}

/** Slack apps acting with a user token (xoxp-…), via OAuth v2. */
export const slack: CatalogEntry = {
  name: "slack",
  displayName: "Slack",
  kind: "oauth2",
  authorizationUrl: "https://slack.com/oauth/v2/authorize",
  tokenUrl: `${API}/oauth.v2.access`,
  // Slack: auth.revoke is a Web API method, not an RFC 7009 endpoint, so none is declared.
  defaultScopes: ["users:read"],
  // Slack: user-token scopes go in `user_scope` (bot scopes would be `scope`), comma-separated.
  scopeSeparator: ",",
  scopeParameter: "user_scope",
  pkce: false,
  // Slack: oauth.v2.access prefers client credentials via HTTP Basic over body parameters.
  tokenAuthMethod: "client_secret_basic",
  apiBaseUrls: [API],
  // Slack: errors are HTTP 200 `{ ok: false, error }`; user tokens are nested in `authed_user`.
  normalizeTokenResponse(body, status) {
    if (body.ok === false) {
      return { status: 400, body: { error: typeof body.error === "string" ? body.error : "server_error" } };
    }
    return { status, body: hoistUserToken(body) };
  },
  // Slack: team id + user id, both permanent; the label keeps the same `T…:U…` form.
  async identifyAccount(context) {
    const team = pickString(context.tokenResponse, "team", "id");
    const user = pickString(context.tokenResponse, "authed_user", "id");
    if (team !== undefined && user !== undefined) return slackAccount(team, user);
    const test = await context.fetchJson(`${API}/auth.test`);
    const testTeam = pickString(test, "team_id");
    const testUser = pickString(test, "user_id");
    if (pick(test, "ok") !== true || testTeam === undefined || testUser === undefined) {
      const error = pickString(test, "error") ?? "no team_id/user_id";
      throw missingIdentifier("Slack", `auth.test answered ${error}`);
    }
    return slackAccount(testTeam, testUser);
  },
};
