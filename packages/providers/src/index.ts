export { CATALOG, catalogNames, getCatalogEntry } from "./catalog.js";
export { github } from "./github.js";
export { gitlab } from "./gitlab.js";
export { google } from "./google.js";
export { pickId, subjectOf, verifiedEmail } from "./helpers.js";
export { microsoft } from "./microsoft.js";
export { notion } from "./notion.js";
export { slack } from "./slack.js";
export type {
  AccountIdentity,
  CatalogEntry,
  IdentityContext,
  TokenAuthMethod,
  TokenResponseBody,
} from "./types.js";
