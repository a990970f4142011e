import { missingIdentifier, pickId, pickString } from "./helpers.js";
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
  // GitLab: the ID token's `sub` is the numeric user id (the `id` of /api/v4/user); usernames can change.
  async identifyAccount(context) {
    const claims = context.idTokenClaims;
    const claimed = pickString(claims, "nickname") ?? pickString(claims, "preferred_username");
    const sub = pickId(claims, "sub");
    if (claimed !== undefined && sub !== undefined) return { subject: sub, label: claimed };
    const user = await context.fetchJson(`${API}/user`);
    const id = sub ?? pickId(user, "id");
    const username = claimed ?? pickString(user, "username");
    if (id === undefined) throw missingIdentifier("GitLab", "GET /api/v4/user has no `id`");
    if (username === undefined) throw missingIdentifier("GitLab", "GET /api/v4/user has no `username`");
    return { subject: id, label: username };
  },
};
