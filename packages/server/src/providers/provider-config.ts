import { catalogNames } from "@grantvault/providers";
import { z } from "zod";
import {
  ConnectionParameter,
  isAcceptableUrl,
  MAX_PARAMETERS,
  parameterUsageProblems,
  templateUrlProblems,
} from "./connection-parameters.js";

/**
 * One provider as the operator configures it (providers file, or the built-in demo provider):
 * the OAuth client registered at the provider plus a catalog name, an OIDC issuer, or explicit
 * OAuth 2.0 endpoints.
 */
const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be lowercase letters, digits, - or _ (at most 63)");
/** A string that must be there: "is required" whether it is missing or empty. */
function required() {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "is required" : "must be a string") })
    .min(1, "is required");
}
const url = z.string().refine(isAcceptableUrl, "must be an https URL (http only for localhost/127.0.0.1)");
/** A provider URL: may carry `{name}` placeholders of the provider's `parameters`. */
const templateUrl = z
  .string()
  .max(2048)
  .superRefine((template, context) => {
    for (const message of templateUrlProblems(template)) context.addIssue({ code: "custom", message });
  });
/**
 * Authorize parameters the vault sets itself: they carry the flow's security (state, PKCE, nonce)
 * or its identity (client, redirect, scopes), so the providers file may not set them (F15).
 * Compared case-insensitively, as some authorization servers read parameter names that way.
 */
export const RESERVED_AUTHORIZE_PARAMS = [
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "redirect_uri",
  "response_type",
  "client_id",
  "scope",
  "user_scope",
] as const;
const authorizeParams = z.record(z.string(), z.string()).superRefine((params, context) => {
  for (const key of Object.keys(params)) {
    if ((RESERVED_AUTHORIZE_PARAMS as readonly string[]).includes(key.toLowerCase())) {
      context.addIssue({
        code: "custom",
        path: [key],
        message: `is set by the vault and cannot be overridden (reserved: ${RESERVED_AUTHORIZE_PARAMS.join(", ")}); use "scopes" for scopes`,
      });
    }
  }
});
const scopes = z.array(z.string().regex(/^[^\s,]+$/, "a scope has no spaces or commas")).max(100);
const common = {
  id,
  displayName: z.string().min(1).max(60).optional(),
  clientId: required(),
  clientSecret: required(),
  /** Replaces the default scopes. */
  scopes: scopes.optional(),
  /** Extra authorize parameters (e.g. `{"hd": "example.com"}` for Google). */
  authorizeParams: authorizeParams.optional(),
  /** API base URLs tokens may be sent to (in addition to the catalog's). */
  apiBaseUrls: z.array(templateUrl).optional(),
  /**
   * Per-connection parameters (a tenant, a shop): each `{name}` in the provider's URLs is filled
   * with the connection's value (from the app's session or the Connect page).
   */
  parameters: z.array(ConnectionParameter).max(MAX_PARAMETERS).optional(),
};

/** The URL fields of a document that may carry placeholders, by path. */
const TEMPLATE_FIELDS = [
  "authorizationUrl",
  "tokenUrl",
  "userinfoUrl",
  "revocationUrl",
  "issuer",
  "apiBaseUrls",
] as const;

/** Every placeholder declared, every parameter used (run even when fields have problems). */
function checkParameterUsage(document: Record<string, unknown>, context: z.RefinementCtx): void {
  const parameters = Array.isArray(document.parameters)
    ? document.parameters.filter(
        (parameter): parameter is { name: string } =>
          typeof parameter === "object" && parameter !== null && typeof parameter.name === "string",
      )
    : [];
  const urls: Record<string, string | string[]> = {};
  for (const field of TEMPLATE_FIELDS) {
    const value = document[field];
    if (typeof value === "string") urls[field] = value;
    else if (Array.isArray(value)) urls[field] = value.filter((entry) => typeof entry === "string");
  }
  for (const problem of parameterUsageProblems(parameters, urls)) {
    context.addIssue({ code: "custom", path: problem.path.split("."), message: problem.message });
  }
}
const always = { when: () => true };

const catalogProvider = z
  .object({
    ...common,
    catalog: z.string().refine((name) => catalogNames().includes(name), {
      error: `must be one of ${catalogNames().join(", ")}`,
    }),
  })
  .strict()
  .superRefine(checkParameterUsage, always);

const oidcProvider = z
  .object({
    ...common,
    type: z.literal("oidc"),
    issuer: templateUrl,
    tokenAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).optional(),
    /** The claim that permanently identifies the account (F1), scoped by the issuer; default `sub`. */
    subjectField: z.string().min(1).optional(),
  })
  .strict()
  .superRefine(checkParameterUsage, always);

const oauth2Provider = z
  .object({
    ...common,
    type: z.literal("oauth2"),
    authorizationUrl: templateUrl,
    tokenUrl: templateUrl,
    userinfoUrl: templateUrl,
    /** Dotted path of the identifier in the userinfo JSON; default: email, login, preferred_username, username, sub, id. */
    accountIdentifierField: z.string().min(1).optional(),
    /**
     * Dotted path of the account's permanent id in the userinfo JSON (F1: grants are keyed by it,
     * never by the identifier, which is only shown); default: sub, else id.
     */
    subjectField: z.string().min(1).optional(),
    revocationUrl: templateUrl.optional(),
    /** Checked against `iss` in authorization responses (RFC 9207) when the provider sends one. */
    issuer: templateUrl.optional(),
    scopeSeparator: z.enum([" ", ","]).optional(),
    pkce: z.boolean().optional(),
    tokenAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).optional(),
  })
  .strict()
  .superRefine(checkParameterUsage, always);

export const ProviderConfig = z.union([catalogProvider, oidcProvider, oauth2Provider]);

/**
 * An app's identity provider (OIDC), for `authenticate()` and user tokens. In the providers file
 * under `"identity"`; `app` is the app's id (a name is refused at start, see identityAppProblems).
 */
export const IdentityProviderConfig = z
  .object({
    app: required().max(100),
    issuer: url,
    clientId: required(),
    clientSecret: required(),
    /** The `aud` user tokens must carry; the client id when omitted (ID tokens are issued to it). */
    audience: z.string().min(1).optional(),
    displayName: z.string().min(1).max(60).optional(),
    /** Replaces the default `openid email profile`. */
    scopes: scopes.optional(),
  })
  .strict();
export type IdentityProviderConfig = z.infer<typeof IdentityProviderConfig>;
export type ProviderConfig = z.infer<typeof ProviderConfig>;
export type CatalogProviderConfig = z.infer<typeof catalogProvider>;
export type OidcProviderConfig = z.infer<typeof oidcProvider>;
export type OAuth2ProviderConfig = z.infer<typeof oauth2Provider>;

/**
 * Validates a parsed providers file: `{"providers": [...]}` or a bare array. Every problem is
 * reported, each with its place (`providers[2].issuer: ...`); ids must be unique.
 */
export function parseProviderConfigs(
  input: unknown,
): { providers: ProviderConfig[] } | { problems: string[] } {
  const list = Array.isArray(input) ? input : (input as { providers?: unknown } | null)?.providers;
  if (!Array.isArray(list))
    return { problems: ['must be a JSON array of providers, or {"providers": [...]}'] };
  const problems: string[] = [];
  const providers: ProviderConfig[] = [];
  const seen = new Set<string>();
  list.forEach((entry, index) => {
    const result = parseProviderDocument(entry);
    if ("issues" in result) {
      for (const issue of result.issues) {
        problems.push(`providers[${index}]${issue.path ? `.${issue.path}` : ""}: ${issue.message}`);
      }
      return;
    }
    const { provider } = result;
    if (seen.has(provider.id)) problems.push(`providers[${index}].id: "${provider.id}" is used twice`);
    seen.add(provider.id);
    providers.push(provider);
  });
  return problems.length > 0 ? { problems } : { providers };
}

/** A problem with a document: the dotted path of the field (empty for the whole) and what is wrong. */
export interface DocumentIssue {
  path: string;
  message: string;
}

/**
 * Validates one provider document (a providers-file entry, or an admin API body): the provider or
 * every problem with it, each with its field's path.
 */
export function parseProviderDocument(
  entry: unknown,
): { provider: ProviderConfig } | { issues: DocumentIssue[] } {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return { issues: [{ path: "", message: "must be a JSON object" }] };
  }
  const result = entryKind(entry).safeParse(entry) as z.ZodSafeParseResult<ProviderConfig>;
  if (result.success) return { provider: result.data };
  return {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
  };
}

/** The same for an app's identity provider document (`app` comes from where it is stored). */
export function parseIdentityDocument(
  entry: unknown,
  app: string,
): { identity: IdentityProviderConfig } | { issues: DocumentIssue[] } {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    return { issues: [{ path: "", message: "must be a JSON object" }] };
  }
  const result = IdentityProviderConfig.safeParse({ ...entry, app });
  if (result.success) return { identity: result.data };
  return {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
  };
}

/** Validates the `identity` list of a providers file (absent: none). One identity provider per app. */
export function parseIdentityConfigs(
  input: unknown,
): { identity: IdentityProviderConfig[] } | { problems: string[] } {
  const list = Array.isArray(input) ? undefined : (input as { identity?: unknown } | null)?.identity;
  if (list === undefined) return { identity: [] };
  if (!Array.isArray(list)) return { problems: ["identity: must be a JSON array"] };
  const problems: string[] = [];
  const identity: IdentityProviderConfig[] = [];
  list.forEach((entry, index) => {
    const result = IdentityProviderConfig.safeParse(entry);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.length > 0 ? `.${issue.path.join(".")}` : "";
        problems.push(`identity[${index}]${path}: ${issue.message}`);
      }
      return;
    }
    if (identity.some((other) => other.app === result.data.app)) {
      problems.push(`identity[${index}].app: "${result.data.app}" has an identity provider already`);
    }
    identity.push(result.data);
  });
  return problems.length > 0 ? { problems } : { identity };
}

/** Picks the schema from the discriminating key, so problems are reported against the right shape. */
function entryKind(entry: object): z.ZodType {
  if ("catalog" in entry) return catalogProvider;
  const type = (entry as { type?: unknown }).type;
  if (type === "oidc") return oidcProvider;
  if (type === "oauth2") return oauth2Provider;
  return z.object({}).refine(() => false, {
    error: 'needs "catalog": "<name>", or "type": "oidc" or "oauth2"',
  });
}
