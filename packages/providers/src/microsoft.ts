import { missingIdentifier, pickString } from "./helpers.js";
import type { CatalogEntry } from "./types.js";

const GRAPH = "https://graph.microsoft.com";
const AUTHORITY = "https://login.microsoftonline.com/common/oauth2/v2.0";

/** Microsoft identity platform (work, school and personal accounts) for Microsoft Graph. */
export const microsoft: CatalogEntry = {
  name: "microsoft",
  displayName: "Microsoft",
  // Microsoft: ID tokens from the `common` endpoints carry the user's tenant in `iss`, so no issuer check.
  kind: "oauth2",
  authorizationUrl: `${AUTHORITY}/authorize`,
  tokenUrl: `${AUTHORITY}/token`,
  // Microsoft: `offline_access` is what yields a refresh token; User.Read lets us read /me.
  defaultScopes: ["User.Read", "offline_access"],
  scopeSeparator: " ",
  pkce: true,
  tokenAuthMethod: "client_secret_post",
  apiBaseUrls: [GRAPH],
  // Microsoft: an ID token from `common` would fail generic issuer validation, so it is dropped.
  normalizeTokenResponse(body, status) {
    if (!("id_token" in body)) return { status, body };
    const { id_token: _dropped, ...rest } = body;
    return { status, body: rest };
  },
  // Microsoft: the subject is the user object's id (`oid`): assigned by Entra ID, never reused, and
  // not editable by a tenant admin, unlike `mail` ("nOAuth"). Graph /me has no tenant id, and the ID
  // token (which has `tid`) is not requested; tokens from `common` are always the home tenant's.
  async identifyAccount(context) {
    const me = await context.fetchJson(`${GRAPH}/v1.0/me`);
    const oid = pickString(me, "id");
    if (oid === undefined) throw missingIdentifier("Microsoft", "Graph /v1.0/me has no `id`");
    const upn = pickString(me, "userPrincipalName");
    // Microsoft: a guest's `mail` is set by its home tenant's admin, unverified: never shown for
    // the account. Guests keep their UPN (`jane_example.com#EXT#@tenant.onmicrosoft.com`).
    const label = upn ?? pickString(me, "mail") ?? oid;
    return { subject: oid, label };
  },
};
