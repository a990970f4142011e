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
  async accountIdentifier(context) {
    const me = await context.fetchJson(`${GRAPH}/v1.0/me`);
    const upn = pickString(me, "userPrincipalName");
    const mail = pickString(me, "mail");
    // Microsoft: guests have UPNs like `jane_example.com#EXT#@tenant.onmicrosoft.com`; their mail reads better.
    if (upn?.includes("#EXT#") && mail !== undefined) return mail;
    const identifier = upn ?? mail;
    if (identifier === undefined) {
      throw missingIdentifier("Microsoft", "Graph /v1.0/me has neither `userPrincipalName` nor `mail`");
    }
    return identifier;
  },
};
