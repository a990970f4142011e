import { isRecord, missingIdentifier, pickId, pickString } from "./helpers.js";
import type { CatalogEntry } from "./types.js";

const API = "https://api.github.com";

/** GitHub OAuth apps (and GitHub Apps acting for a user). */
export const github: CatalogEntry = {
  name: "github",
  displayName: "GitHub",
  kind: "oauth2",
  authorizationUrl: "https://github.com/login/oauth/authorize",
  tokenUrl: "https://github.com/login/oauth/access_token",
  // GitHub has no RFC 7009 endpoint (only DELETE /applications/{client_id}/grant), so none is declared.
  defaultScopes: ["read:user"],
  scopeSeparator: " ",
  // GitHub: PKCE (S256 only) has been accepted for OAuth apps and GitHub Apps since July 2025.
  pkce: true,
  tokenAuthMethod: "client_secret_post",
  apiBaseUrls: [API],
  // GitHub: token errors come back with HTTP 200 and `{ error, error_description, error_uri }`.
  normalizeTokenResponse(body, status) {
    if (status === 200 && typeof body.error === "string") return { status: 400, body };
    return { status, body };
  },
  // GitHub: the numeric user id is permanent; a login can be renamed and then taken by someone else.
  async identifyAccount(context) {
    const user = await context.fetchJson(`${API}/user`, {
      Accept: "application/vnd.github+json",
      "X-GitHub-Api-Version": "2022-11-28",
    });
    if (!isRecord(user)) throw missingIdentifier("GitHub", "GET /user is not an object");
    const id = pickId(user, "id");
    const login = pickString(user, "login");
    if (id === undefined) throw missingIdentifier("GitHub", "GET /user has no numeric `id`");
    if (login === undefined) throw missingIdentifier("GitHub", "GET /user has no `login`");
    return { subject: id, label: login };
  },
};
