import { missingIdentifier, pickString } from "./helpers.js";
import type { CatalogEntry } from "./types.js";

const BASE = "https://gitlab.com";
const API = `${BASE}/api/v4`;

/** GitLab.com (OpenID Connect); self-managed instances are configured as generic `oidc` providers. */
export const gitlab: CatalogEntry = {
  name: "gitlab",
  displayName: "GitLab",
  kind: "oidc",
  issuer: BASE,
  authorizationUrl: `${BASE}/oauth/authorize`,
  tokenUrl: `${BASE}/oauth/token`,
  userinfoUrl: `${BASE}/oauth/userinfo`,
  revocationUrl: `${BASE}/oauth/revoke`,
  // GitLab: `read_user` is what GET /api/v4/user needs; refresh tokens come without extra scopes.
  defaultScopes: ["openid", "read_user"],
  scopeSeparator: " ",
  pkce: true,
  tokenAuthMethod: "client_secret_post",
  apiBaseUrls: [API, `${BASE}/api/graphql`],
  async accountIdentifier(context) {
    const claimed =
      pickString(context.idTokenClaims, "nickname") ??
      pickString(context.idTokenClaims, "preferred_username");
    if (claimed !== undefined) return claimed;
    const user = await context.fetchJson(`${API}/user`);
    const username = pickString(user, "username");
    if (username === undefined) throw missingIdentifier("GitLab", "GET /api/v4/user has no `username`");
    return username;
  },
};
