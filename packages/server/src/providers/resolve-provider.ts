import { getCatalogEntry, type IdentityContext } from "@grantvault/providers";
import { isLoopbackHost } from "../net.js";
import type {
  CatalogProviderConfig,
  IdentityProviderConfig,
  OAuth2ProviderConfig,
  OidcProviderConfig,
  ProviderConfig,
} from "./provider-config.js";
import type { ResolvedProvider } from "./resolved-provider.js";

/** Turns a validated provider configuration into what the OAuth engine works with. */
export function resolveProvider(config: ProviderConfig): ResolvedProvider {
  if ("catalog" in config) return fromCatalog(config);
  return config.type === "oidc" ? fromOidc(config) : fromOAuth2(config);
}

function fromCatalog(config: CatalogProviderConfig): ResolvedProvider {
  const entry = getCatalogEntry(config.catalog);
  if (!entry) throw new Error(`unknown catalog provider ${config.catalog}`);
  const endpoints = {
    issuer: entry.issuer ?? new URL(entry.authorizationUrl).origin,
    authorizationUrl: entry.authorizationUrl,
    tokenUrl: entry.tokenUrl,
    ...(entry.userinfoUrl ? { userinfoUrl: entry.userinfoUrl } : {}),
    ...(entry.revocationUrl ? { revocationUrl: entry.revocationUrl } : {}),
  };
  return {
    id: config.id,
    displayName: config.displayName ?? entry.displayName,
    kind: entry.kind,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scopes: config.scopes ?? entry.defaultScopes,
    scopeSeparator: entry.scopeSeparator,
    scopeParameter: entry.scopeParameter ?? "scope",
    pkce: entry.pkce,
    tokenAuthMethod: entry.tokenAuthMethod,
    tokenRequestFormat: entry.tokenRequestFormat ?? "form",
    authorizeParams: { ...entry.authorizeParams, ...config.authorizeParams },
    apiBaseUrls: [...entry.apiBaseUrls, ...(config.apiBaseUrls ?? [])],
    endpoints,
    allowInsecureRequests: false,
    ...(entry.normalizeTokenResponse ? { normalizeTokenResponse: entry.normalizeTokenResponse } : {}),
    accountIdentifier: (context) => entry.accountIdentifier(context),
  };
}

/** An app's identity provider as the OAuth engine sees it: an OIDC provider used for sign-in only. */
export function resolveIdentityProvider(config: IdentityProviderConfig): ResolvedProvider {
  return {
    ...fromOidc({
      id: "identity",
      type: "oidc",
      issuer: config.issuer,
      clientId: config.clientId,
      clientSecret: config.clientSecret,
      scopes: config.scopes ?? ["openid", "email", "profile"],
      ...(config.displayName ? { displayName: config.displayName } : {}),
    }),
    // Discovery is cached by id: one per app.
    id: `@identity:${config.app}`,
  };
}

function fromOidc(config: OidcProviderConfig): ResolvedProvider {
  return {
    id: config.id,
    displayName: config.displayName ?? new URL(config.issuer).hostname,
    kind: "oidc",
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scopes: config.scopes ?? ["openid", "email", "profile", "offline_access"],
    scopeSeparator: " ",
    scopeParameter: "scope",
    pkce: true,
    tokenAuthMethod: config.tokenAuthMethod ?? "client_secret_basic",
    tokenRequestFormat: "form",
    authorizeParams: config.authorizeParams ?? {},
    apiBaseUrls: config.apiBaseUrls ?? [],
    endpoints: { discoverFrom: config.issuer },
    allowInsecureRequests: isLoopbackUrl(config.issuer),
    accountIdentifier: oidcAccountIdentifier,
  };
}

function fromOAuth2(config: OAuth2ProviderConfig): ResolvedProvider {
  const urls = [
    config.authorizationUrl,
    config.tokenUrl,
    config.userinfoUrl,
    config.revocationUrl,
    config.issuer,
  ];
  const field = config.accountIdentifierField;
  return {
    id: config.id,
    displayName: config.displayName ?? new URL(config.authorizationUrl).hostname,
    kind: "oauth2",
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    scopes: config.scopes ?? [],
    scopeSeparator: config.scopeSeparator ?? " ",
    scopeParameter: "scope",
    pkce: config.pkce ?? true,
    tokenAuthMethod: config.tokenAuthMethod ?? "client_secret_basic",
    tokenRequestFormat: "form",
    authorizeParams: config.authorizeParams ?? {},
    apiBaseUrls: config.apiBaseUrls ?? [],
    endpoints: {
      issuer: config.issuer ?? new URL(config.authorizationUrl).origin,
      authorizationUrl: config.authorizationUrl,
      tokenUrl: config.tokenUrl,
      userinfoUrl: config.userinfoUrl,
      ...(config.revocationUrl ? { revocationUrl: config.revocationUrl } : {}),
    },
    allowInsecureRequests: urls.every((url) => url === undefined || isLoopbackUrl(url)),
    accountIdentifier: async (context) => {
      const userinfo = await context.fetchJson(config.userinfoUrl);
      const found = field ? readPath(userinfo, field) : firstIdentifier(userinfo);
      if (found === undefined) {
        throw new Error(
          `userinfo at ${config.userinfoUrl} has no ${field ?? "email, login, preferred_username, username, sub or id"}`,
        );
      }
      return found;
    },
  };
}

/** OIDC: email, else preferred_username, else sub; from the ID token, else from userinfo. */
async function oidcAccountIdentifier(context: IdentityContext): Promise<string> {
  const fromToken = context.idTokenClaims && firstIdentifier(context.idTokenClaims, OIDC_FIELDS);
  if (fromToken) return fromToken;
  throw new Error("the ID token has no email, preferred_username or sub");
}

const OIDC_FIELDS = ["email", "preferred_username", "sub"];
const GENERIC_FIELDS = ["email", "login", "preferred_username", "username", "sub", "id"];

function firstIdentifier(value: unknown, fields = GENERIC_FIELDS): string | undefined {
  for (const field of fields) {
    const found = readPath(value, field);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Reads a dotted path; numbers become strings (GitHub-style numeric ids). */
function readPath(value: unknown, path: string): string | undefined {
  let current = value;
  for (const key of path.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  if (typeof current === "number") return String(current);
  return typeof current === "string" && current !== "" ? current : undefined;
}

function isLoopbackUrl(url: string): boolean {
  return isLoopbackHost(new URL(url).hostname);
}
