import { z } from "zod";
import { WebOrigin } from "./connect-sessions.js";
import { ID_FORMATS } from "./ids.js";

/**
 * The admin API (issue 15): apps, their providers and identity provider. Routes under
 * `/v1/apps/{app_id}` admit an operator key, or the app's own key with the `admin` scope.
 * Provider documents are the providers file's entries (camelCase, as in the file), so a document
 * moves between the file, the CLI and the API unchanged; the vault validates them in full.
 */

const isoTime = z.string().describe("ISO 8601 time");
const providerId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "not a provider id (lowercase letters, digits, - or _)");

export const AppBody = z
  .object({
    app_id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    allowed_origins: z.array(z.string()),
    /** F6: a user-bound grant is usable only with its user's token. */
    user_grants_need_user_token: z.boolean(),
    created_at: isoTime,
  })
  .strict();
export type AppBody = z.infer<typeof AppBody>;

export const ListAppsResponse = z.object({ apps: z.array(AppBody) }).strict();
export type ListAppsResponse = z.infer<typeof ListAppsResponse>;

const appName = z.string().trim().min(1, "is required").max(100);

/** `POST /v1/apps` (operator keys only): the app and its first API key (all scopes), shown once. */
export const CreateAppRequest = z
  .object({
    name: appName,
    allowed_origins: z.array(WebOrigin).max(50).optional(),
  })
  .strict();
export type CreateAppRequest = z.infer<typeof CreateAppRequest>;

/** `POST /v1/apps`: the app, and its first API key (all scopes) whose whole key is only here. */
export const CreateAppResponse = z
  .object({
    app: AppBody,
    api_key: z
      .object({
        api_key_id: z.string(),
        api_key: z.string(),
        prefix: z.string(),
        scopes: z.array(z.string()),
      })
      .strict(),
  })
  .strict();
export type CreateAppResponse = z.infer<typeof CreateAppResponse>;

/** `PATCH /v1/apps/{app_id}`: only the fields given change. */
export const UpdateAppRequest = z
  .object({
    name: appName.optional(),
    enabled: z.boolean().optional(),
    allowed_origins: z.array(WebOrigin).max(50).optional(),
    user_grants_need_user_token: z.boolean().optional(),
  })
  .strict();
export type UpdateAppRequest = z.infer<typeof UpdateAppRequest>;

export const DeleteAppResponse = z.object({ app_id: z.string(), deleted: z.literal(true) }).strict();
export type DeleteAppResponse = z.infer<typeof DeleteAppResponse>;

export const AppIdParams = z
  .object({ app_id: z.string().regex(ID_FORMATS.app.pattern, "not an app id") })
  .strict();

export const AppProviderParams = z
  .object({ app_id: z.string().regex(ID_FORMATS.app.pattern, "not an app id"), provider_id: providerId })
  .strict();

/**
 * A provider document as a client writes it: a providers-file entry. Typed loosely here; the
 * vault checks it against the full schema and lists every problem.
 */
export interface ProviderDocument {
  id: string;
  /** A catalog entry (`github`, `google`, …), or `type` with its endpoints. */
  catalog?: string;
  type?: "oidc" | "oauth2";
  displayName?: string;
  clientId: string;
  /** Write-only: never returned. Optional when replacing a provider that has one. */
  clientSecret?: string;
  scopes?: string[];
  authorizeParams?: Record<string, string>;
  apiBaseUrls?: string[];
  [field: string]: unknown;
}

export const ProviderBody = z
  .object({
    provider_id: z.string(),
    enabled: z.boolean(),
    /** Register this at the provider as the OAuth client's redirect URI. */
    redirect_uri: z.string(),
    created_at: isoTime,
    updated_at: isoTime,
    /** The provider document, without its client secret. */
    document: z.record(z.string(), z.unknown()),
  })
  .strict();
export type ProviderBody = z.infer<typeof ProviderBody>;

export const ListAppProvidersResponse = z.object({ providers: z.array(ProviderBody) }).strict();
export type ListAppProvidersResponse = z.infer<typeof ListAppProvidersResponse>;

export const DeleteProviderResponse = z
  .object({ provider_id: z.string(), deleted: z.literal(true) })
  .strict();
export type DeleteProviderResponse = z.infer<typeof DeleteProviderResponse>;

/** An identity provider document: OIDC issuer and client (the app comes from the path). */
export interface IdentityProviderDocument {
  issuer: string;
  clientId: string;
  /** Write-only: never returned. Optional when replacing one that has one. */
  clientSecret?: string;
  audience?: string;
  displayName?: string;
  scopes?: string[];
}

export const IdentityProviderBody = z
  .object({
    app_id: z.string(),
    enabled: z.boolean(),
    redirect_uri: z.string(),
    created_at: isoTime,
    updated_at: isoTime,
    document: z.record(z.string(), z.unknown()),
  })
  .strict();
export type IdentityProviderBody = z.infer<typeof IdentityProviderBody>;

export const DeleteIdentityProviderResponse = z
  .object({ app_id: z.string(), deleted: z.literal(true) })
  .strict();
export type DeleteIdentityProviderResponse = z.infer<typeof DeleteIdentityProviderResponse>;

/** `GET /v1/providers`: what the calling app may offer its users (discovery, issue 15 item 5). */
export const OfferedProviderBody = z
  .object({
    id: z.string(),
    display_name: z.string(),
    kind: z.enum(["oauth2", "oidc"]),
    scopes: z.array(z.string()),
    /** Per-connection parameters (a tenant, a shop) to give when connecting; empty when none. */
    parameters: z.array(
      z
        .object({
          name: z.string(),
          display_name: z.string(),
          description: z.string().nullable(),
          pattern: z.string(),
        })
        .strict(),
    ),
  })
  .strict();
export type OfferedProviderBody = z.infer<typeof OfferedProviderBody>;

export const ListProvidersResponse = z.object({ providers: z.array(OfferedProviderBody) }).strict();
export type ListProvidersResponse = z.infer<typeof ListProvidersResponse>;
