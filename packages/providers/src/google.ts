import { missingIdentifier, pickString } from "./helpers.js";
import type { CatalogEntry } from "./types.js";

const USERINFO = "https://openidconnect.googleapis.com/v1/userinfo";

/** Google accounts (OpenID Connect); tokens serve the Google APIs the user consented to. */
export const google: CatalogEntry = {
  name: "google",
  displayName: "Google",
  kind: "oidc",
  issuer: "https://accounts.google.com",
  authorizationUrl: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenUrl: "https://oauth2.googleapis.com/token",
  userinfoUrl: USERINFO,
  revocationUrl: "https://oauth2.googleapis.com/revoke",
  defaultScopes: ["openid", "email"],
  scopeSeparator: " ",
  pkce: true,
  tokenAuthMethod: "client_secret_post",
  // Google: a refresh token is only issued with access_type=offline, and again only on a fresh consent.
  authorizeParams: { access_type: "offline", prompt: "consent" },
  apiBaseUrls: [
    "https://www.googleapis.com", // Drive, Calendar, Tasks, YouTube, OAuth2 userinfo…
    "https://gmail.googleapis.com",
    "https://sheets.googleapis.com",
    "https://docs.googleapis.com",
    "https://slides.googleapis.com",
    "https://people.googleapis.com",
  ],
  async accountIdentifier(context) {
    const fromIdToken = pickString(context.idTokenClaims, "email");
    if (fromIdToken !== undefined) return fromIdToken;
    const userinfo = await context.fetchJson(USERINFO);
    const email = pickString(userinfo, "email");
    if (email === undefined) {
      throw missingIdentifier(
        "Google",
        "neither the ID token nor userinfo has an `email` (is the email scope granted?)",
      );
    }
    return email;
  },
};
