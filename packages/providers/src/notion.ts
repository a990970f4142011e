import { missingIdentifier, pickString } from "./helpers.js";
import type { CatalogEntry } from "./types.js";

/** Notion public integrations; a token is bound to one workspace. */
export const notion: CatalogEntry = {
  name: "notion",
  displayName: "Notion",
  kind: "oauth2",
  // Notion: `owner=user` is required on the authorize request.
  authorizationUrl: "https://api.notion.com/v1/oauth/authorize",
  tokenUrl: "https://api.notion.com/v1/oauth/token",
  // Notion: no OAuth scopes; capabilities are set on the integration and pages are picked at consent.
  defaultScopes: [],
  scopeSeparator: " ",
  pkce: false,
  tokenAuthMethod: "client_secret_basic",
  // Notion: the token endpoint takes a JSON body (Basic auth); it answers `token_type: "bearer"`.
  tokenRequestFormat: "json",
  authorizeParams: { owner: "user" },
  apiBaseUrls: ["https://api.notion.com"],
  async accountIdentifier(context) {
    const body = context.tokenResponse;
    const workspace = pickString(body, "workspace_id");
    if (workspace === undefined) {
      throw missingIdentifier("Notion", "the token response has no `workspace_id`");
    }
    const user =
      pickString(body, "owner", "user", "person", "email") ?? pickString(body, "owner", "user", "id");
    // Notion: a workspace-owned token has no user; the workspace is then the account.
    return user === undefined ? workspace : `${workspace}:${user}`;
  },
};
