import { missingIdentifier, pickString, verifiedEmail } from "./helpers.js";
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
  // Google: `sub` is the permanent account id (the issuer is fixed); the email is only a label.
  async identifyAccount(context) {
    const claims = context.idTokenClaims;
    const sub = pickString(claims, "sub");
    if (sub === undefined) throw missingIdentifier("Google", "the ID token has no `sub`");
    const fromIdToken = verifiedEmail(claims);
    if (fromIdToken !== undefined) return { subject: sub, label: fromIdToken };
    const userinfo = await context.fetchJson(USERINFO);
    // Userinfo about another account would label this one with someone else's address.
    const fromUserinfo = pickString(userinfo, "sub") === sub ? verifiedEmail(userinfo) : undefined;
    return { subject: sub, label: fromUserinfo ?? sub };
  },
};
