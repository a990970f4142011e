import { missingIdentifier, pickString, subjectOf } from "./helpers.js";
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
  // Notion: the subject is the workspace with its owner's user id; a workspace-owned token has no
  // user, and then its bot (the integration's installation in that workspace) stands for it.
  async identifyAccount(context) {
    const body = context.tokenResponse;
    const workspace = pickString(body, "workspace_id");
    if (workspace === undefined) {
      throw missingIdentifier("Notion", "the token response has no `workspace_id`");
    }
    const userId = pickString(body, "owner", "user", "id");
    const owner = userId ?? pickString(body, "bot_id");
    const subject = owner === undefined ? workspace : subjectOf(workspace, owner);
    const shown = pickString(body, "owner", "user", "person", "email") ?? userId;
    return { subject, label: shown === undefined ? workspace : `${workspace}:${shown}` };
  },
};
