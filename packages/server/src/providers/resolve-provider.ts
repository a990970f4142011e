import {
  type AccountIdentity,
  getCatalogEntry,
  type IdentityContext,
  subjectOf,
  verifiedEmail,
} from "@grantvault/providers";
import { isLoopbackHost } from "../net.js";
import {
  type ConnectionParameter,
  type ConnectionParams,
  fillUrl,
  placeholdersIn,
  templateOrigin,
} from "./connection-parameters.js";
import type {
  CatalogProviderConfig,
  IdentityProviderConfig,
  OAuth2ProviderConfig,
  OidcProviderConfig,
  ProviderConfig,
} from "./provider-config.js";
import type { ResolvedProvider } from "./resolved-provider.js";

/**
 * Turns a validated provider configuration into what the OAuth engine works with. A provider with
 * parameters comes out as a template (its URLs still hold `{name}`), usable only through
 * bindProvider with a connection's values.
 */
export function resolveProvider(config: ProviderConfig): ResolvedProvider {
  const parameters = config.parameters ?? [];
  if (parameters.length === 0) return resolveConcrete(config);
  return {
    ...resolveConcrete(config),
    parameters,
    bindTo: (values) => ({
      ...resolveConcrete(filledConfig(config, parameters, values)),
      parameters,
      connectionParams: { ...values },
    }),
  };
}

function resolveConcrete(config: ProviderConfig): ResolvedProvider {
  if ("catalog" in config) return fromCatalog(config);
  return config.type === "oidc" ? fromOidc(config) : fromOAuth2(config);
}

/** The configuration with every template URL filled (fillUrl checks each value again). */
function filledConfig(
  config: ProviderConfig,
  parameters: readonly ConnectionParameter[],
  values: ConnectionParams,
): ProviderConfig {
  const fill = (url: string) => fillUrl(url, parameters, values);
  const filled: Record<string, unknown> = { ...config };
  for (const field of ["authorizationUrl", "tokenUrl", "userinfoUrl", "revocationUrl", "issuer"]) {
    const value = filled[field];
    if (typeof value === "string") filled[field] = fill(value);
  }
  if (config.apiBaseUrls) filled.apiBaseUrls = config.apiBaseUrls.map(fill);
  return filled as ProviderConfig;
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
    parameters: [],
    ...(entry.normalizeTokenResponse ? { normalizeTokenResponse: entry.normalizeTokenResponse } : {}),
    identifyAccount: (context) => entry.identifyAccount(context),
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
    displayName: config.displayName ?? hostnameOf(config.issuer),
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
    parameters: [],
    identifyAccount: async (context) => oidcAccount(context, config.subjectField ?? "sub"),
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
  const subjectField = config.subjectField;
  return {
    id: config.id,
    displayName: config.displayName ?? hostnameOf(config.authorizationUrl),
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
      issuer: config.issuer ?? templateOrigin(config.authorizationUrl),
      authorizationUrl: config.authorizationUrl,
      tokenUrl: config.tokenUrl,
      userinfoUrl: config.userinfoUrl,
      ...(config.revocationUrl ? { revocationUrl: config.revocationUrl } : {}),
    },
    allowInsecureRequests: urls.every((url) => url === undefined || isLoopbackUrl(url)),
    parameters: [],
    identifyAccount: async (context) => {
      const userinfo = await context.fetchJson(config.userinfoUrl);
      const subject = subjectField
        ? readPath(userinfo, subjectField)
        : firstIdentifier(userinfo, SUBJECT_FIELDS);
      if (subject === undefined) {
        throw new Error(
          `userinfo at ${config.userinfoUrl} has no ${subjectField ?? "sub or id"} (set subjectField to the account's permanent id)`,
        );
      }
      const label = field ? readPath(userinfo, field) : genericLabel(userinfo);
      if (label === undefined) throw new Error(`userinfo at ${config.userinfoUrl} has no ${field}`);
      return { subject, label };
    },
  };
}

/**
 * OIDC (F1): the subject is the issuer with the `sub` (or the configured claim), which the issuer
 * never reassigns; the label is the email only when `email_verified` is true, else
 * preferred_username, else sub. Claims are the validated ID token's, completed from userinfo.
 */
function oidcAccount(context: IdentityContext, subjectField: string): AccountIdentity {
  const claims = context.idTokenClaims;
  const issuer = readPath(claims, "iss");
  const id = readPath(claims, subjectField);
  if (issuer === undefined || id === undefined) {
    throw new Error(`the ID token has no ${issuer === undefined ? "iss" : subjectField}`);
  }
  const label = verifiedEmail(claims) ?? firstIdentifier(claims, ["preferred_username", "sub"]) ?? id;
  return { subject: subjectOf(issuer, id), label };
}

const SUBJECT_FIELDS = ["sub", "id"];
const GENERIC_FIELDS = ["login", "preferred_username", "username", "sub", "id"];

/** A plain OAuth 2.0 label: a verified email, else the first of GENERIC_FIELDS. */
function genericLabel(userinfo: unknown): string | undefined {
  return verifiedEmail(userinfo) ?? firstIdentifier(userinfo);
}

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

/** A template's placeholders read as their names (`{tenant}.example.com` → `tenant.example.com`). */
function readable(url: string): string {
  let text = url;
  for (const name of placeholdersIn(url)) text = text.replaceAll(`{${name}}`, name);
  return text;
}

function hostnameOf(url: string): string {
  return new URL(readable(url)).hostname;
}

function isLoopbackUrl(url: string): boolean {
  return isLoopbackHost(hostnameOf(url));
}
