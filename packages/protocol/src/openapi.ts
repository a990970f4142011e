import { z } from "zod";
import {
  AppBody,
  AppIdParams,
  AppProviderParams,
  CreateAppRequest,
  CreateAppResponse,
  DeleteAppResponse,
  DeleteIdentityProviderResponse,
  DeleteProviderResponse,
  IdentityProviderBody,
  ListAppProvidersResponse,
  ListAppsResponse,
  ListProvidersResponse,
  ProviderBody,
  UpdateAppRequest,
} from "./admin.js";
import {
  ApiKeyIdParams,
  ApiKeyView,
  AppApiKeyParams,
  AppApiKeysParams,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  ListApiKeysResponse,
  RevokeApiKeyResponse,
  UpdateApiKeyRequest,
} from "./api-keys.js";
import { AppInfoResponse } from "./app.js";
import { ListAuditQuery } from "./audit.js";
import { CreateConnectSessionRequest, GetConnectSessionQuery } from "./connect-sessions.js";
import { ERROR_CODES, type ErrorCode } from "./errors.js";
import { CredentialRequest, ListGrantsQuery, ResolveGrantRequest, RevokeGrantRequest } from "./grants.js";
import { HealthResponse } from "./health.js";
import { CreateAuthSessionRequest, VerifyUserTokenRequest } from "./identity.js";
import {
  AuthSessionResponseSchema,
  ConnectSessionResponseSchema,
  CreateAuthSessionResponseSchema,
  CreateConnectSessionResponseSchema,
  CredentialResponseSchema,
  ErrorBodySchema,
  GrantBodySchema,
  ListAuditResponseSchema,
  ListGrantsResponseSchema,
  ResolveGrantResponseSchema,
  VerifyUserTokenResponseSchema,
} from "./response-schemas.js";
import { routeAccess } from "./route-scopes.js";

/**
 * The HTTP API as a table: one row per operation, built from the request and response schemas of
 * this package. `buildOpenApiDocument()` turns it into the OpenAPI 3.1 document the server serves
 * at `/openapi.json` and `npm run openapi` writes to docs/openapi.json.
 */
export interface ApiOperation {
  method: "get" | "post" | "put" | "patch" | "delete";
  /** OpenAPI path template (`{id}`, not Fastify's `:id`). */
  path: string;
  operationId: string;
  summary: string;
  auth: "api_key" | "none" | "session_token";
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  success: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Codes this operation answers with itself (the common ones are added to every operation). */
  errors: ErrorCode[];
}

/** Routes the server registers that are not API operations: browser pages and OAuth redirects. */
export const OPENAPI_EXCLUDED_ROUTES = [
  // The Connect page and its form posts: HTML for a browser holding the session token.
  { method: "GET", path: "/connect/{token}" },
  { method: "POST", path: "/connect/{token}/start" },
  { method: "POST", path: "/connect/{token}/cancel" },
  // Where providers send the browser back: an HTML page or a redirect, never called by a client.
  { method: "GET", path: "/v1/oauth/callback/{provider}" },
  { method: "GET", path: "/v1/auth/callback" },
  // Prometheus text for the operator's scraper (only with GRANTVAULT_METRICS_TOKEN), not JSON.
  { method: "GET", path: "/metrics" },
] as const;

const id = (prefix: string, what: string) =>
  z.object({ id: z.string().regex(new RegExp(`^${prefix}_[0-9a-f]{24}$`), `not ${what}`) }).strict();

/** Codes any request may get, before or around its route (framework limits, auth, failures). */
const COMMON_ERRORS: ErrorCode[] = [
  "malformed_request",
  "request_timeout",
  "uri_too_long",
  "headers_too_large",
  "route_not_found",
  "internal_error",
  "database_busy",
];
const AUTH_ERRORS: ErrorCode[] = [
  "missing_api_key",
  "invalid_api_key",
  "api_key_revoked",
  "api_key_expired",
  "api_key_disabled",
  "insufficient_scope",
  "app_disabled",
];
const BODY_ERRORS: ErrorCode[] = [
  "invalid_request",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
];
const KEY_CHANGE_ERRORS: ErrorCode[] = [...BODY_ERRORS, "not_found", "last_api_key", "audit_unavailable"];

export const API_OPERATIONS: ApiOperation[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "getHealthz",
    summary: "The process is up.",
    auth: "none",
    success: { status: 200, description: "Up.", schema: HealthResponse },
    errors: [],
  },
  {
    method: "get",
    path: "/readyz",
    operationId: "getReadyz",
    summary: "The vault can serve: its database answers.",
    auth: "none",
    success: { status: 200, description: "Ready.", schema: HealthResponse },
    errors: ["not_ready"],
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApi",
    summary: "This document.",
    auth: "none",
    success: { status: 200, description: "The OpenAPI 3.1 document." },
    errors: [],
  },
  {
    method: "get",
    path: "/v1/app",
    operationId: "getApp",
    summary: "The app the calling API key belongs to.",
    auth: "api_key",
    success: { status: 200, description: "The app.", schema: AppInfoResponse },
    errors: [],
  },
  {
    method: "get",
    path: "/v1/providers",
    operationId: "listProviders",
    summary:
      "The providers the caller's app may offer its users: its own enabled ones, then the built-in ones.",
    auth: "api_key",
    success: { status: 200, description: "The providers.", schema: ListProvidersResponse },
    errors: [],
  },
  {
    method: "get",
    path: "/v1/api-keys",
    operationId: "listApiKeys",
    summary: "The caller's app's API keys, revoked ones too (prefixes only; admin key).",
    auth: "api_key",
    success: { status: 200, description: "The keys.", schema: ListApiKeysResponse },
    errors: [],
  },
  {
    method: "get",
    path: "/v1/api-keys/{id}",
    operationId: "getApiKey",
    summary: "One key of the caller's app (prefix only; admin key).",
    auth: "api_key",
    params: ApiKeyIdParams,
    success: { status: 200, description: "The key.", schema: ApiKeyView },
    errors: ["invalid_request", "not_found"],
  },
  {
    method: "patch",
    path: "/v1/api-keys/{id}",
    operationId: "updateApiKey",
    summary:
      "Rename, rescope (never beyond the caller's scopes), set or clear the expiry of, disable or enable a key of the caller's app (admin key).",
    auth: "api_key",
    params: ApiKeyIdParams,
    body: UpdateApiKeyRequest,
    success: { status: 200, description: "The key as it now is.", schema: ApiKeyView },
    errors: KEY_CHANGE_ERRORS,
  },
  {
    method: "get",
    path: "/v1/apps/{app_id}/api-keys",
    operationId: "listAppApiKeys",
    summary: "An app's API keys (an operator key, or the app's admin key).",
    auth: "api_key",
    params: AppApiKeysParams,
    success: { status: 200, description: "The keys.", schema: ListApiKeysResponse },
    errors: ["invalid_request", "not_found"],
  },
  {
    method: "post",
    path: "/v1/apps/{app_id}/api-keys",
    operationId: "createAppApiKey",
    summary: "Another API key for an app (an operator key, or the app's admin key).",
    auth: "api_key",
    params: AppApiKeysParams,
    body: CreateApiKeyRequest,
    success: { status: 201, description: "The key; the whole key only here.", schema: CreateApiKeyResponse },
    errors: [...BODY_ERRORS, "not_found", "audit_unavailable"],
  },
  {
    method: "get",
    path: "/v1/apps/{app_id}/api-keys/{key_id}",
    operationId: "getAppApiKey",
    summary: "One key of an app (prefix only).",
    auth: "api_key",
    params: AppApiKeyParams,
    success: { status: 200, description: "The key.", schema: ApiKeyView },
    errors: ["invalid_request", "not_found"],
  },
  {
    method: "patch",
    path: "/v1/apps/{app_id}/api-keys/{key_id}",
    operationId: "updateAppApiKey",
    summary: "Change a key of an app: name, scopes, expiry, enabled.",
    auth: "api_key",
    params: AppApiKeyParams,
    body: UpdateApiKeyRequest,
    success: { status: 200, description: "The key as it now is.", schema: ApiKeyView },
    errors: KEY_CHANGE_ERRORS,
  },
  {
    method: "delete",
    path: "/v1/apps/{app_id}/api-keys/{key_id}",
    operationId: "revokeAppApiKey",
    summary: "Revoke (delete for good) a key of an app.",
    auth: "api_key",
    params: AppApiKeyParams,
    success: { status: 200, description: "Revoked.", schema: RevokeApiKeyResponse },
    errors: ["invalid_request", "not_found", "last_api_key", "audit_unavailable"],
  },
  {
    method: "post",
    path: "/v1/api-keys",
    operationId: "createApiKey",
    summary: "Another API key for the caller's app (admin key).",
    auth: "api_key",
    body: CreateApiKeyRequest,
    success: { status: 201, description: "The key; the whole key only here.", schema: CreateApiKeyResponse },
    errors: [...BODY_ERRORS, "audit_unavailable"],
  },
  {
    method: "delete",
    path: "/v1/api-keys/{id}",
    operationId: "revokeApiKey",
    summary: "Revoke a key of the caller's app (admin key).",
    auth: "api_key",
    params: id("key", "an API key id"),
    success: { status: 200, description: "Revoked.", schema: RevokeApiKeyResponse },
    errors: ["invalid_request", "not_found", "last_api_key", "audit_unavailable"],
  },
  {
    method: "post",
    path: "/v1/connect/sessions",
    operationId: "createConnectSession",
    summary: "Start a connect session: a link where a user connects an account.",
    auth: "api_key",
    body: CreateConnectSessionRequest,
    success: { status: 201, description: "The session.", schema: CreateConnectSessionResponseSchema },
    errors: [
      ...BODY_ERRORS,
      "unknown_provider",
      "no_providers_configured",
      "origin_not_allowed",
      "scope_not_allowed",
      "identity_not_configured",
      "invalid_user_token",
      "identity_unavailable",
      "audit_unavailable",
    ],
  },
  {
    method: "get",
    path: "/v1/connect/sessions/{id}",
    operationId: "getConnectSession",
    summary: "A connect session; with `wait`, held while pending (long-poll).",
    auth: "api_key",
    params: id("cs", "a session id"),
    query: GetConnectSessionQuery,
    success: { status: 200, description: "The session.", schema: ConnectSessionResponseSchema },
    errors: ["invalid_request", "session_not_found"],
  },
  {
    method: "post",
    path: "/v1/auth/sessions",
    operationId: "createAuthSession",
    summary: "Start a sign-in at the app's identity provider (`authenticate()`).",
    auth: "api_key",
    body: CreateAuthSessionRequest,
    success: { status: 201, description: "The sign-in session.", schema: CreateAuthSessionResponseSchema },
    errors: [...BODY_ERRORS, "identity_not_configured", "identity_unavailable", "audit_unavailable"],
  },
  {
    method: "get",
    path: "/v1/auth/sessions/{id}",
    operationId: "getAuthSession",
    summary: "A sign-in session; once completed, the user's token (handed over once).",
    auth: "api_key",
    params: id("cs", "a session id"),
    query: GetConnectSessionQuery,
    success: { status: 200, description: "The session.", schema: AuthSessionResponseSchema },
    errors: ["invalid_request", "session_not_found"],
  },
  {
    method: "post",
    path: "/v1/identity/verify",
    operationId: "verifyUserToken",
    summary: "Whether a user token is valid for this app, and whose it is.",
    auth: "api_key",
    body: VerifyUserTokenRequest,
    success: { status: 200, description: "The subject, or null.", schema: VerifyUserTokenResponseSchema },
    errors: [...BODY_ERRORS, "identity_not_configured", "identity_unavailable"],
  },
  {
    method: "get",
    path: "/v1/grants",
    operationId: "listGrants",
    summary: "The app's grants, newest first.",
    auth: "api_key",
    query: ListGrantsQuery,
    success: { status: 200, description: "A page of grants.", schema: ListGrantsResponseSchema },
    errors: ["invalid_request", "invalid_cursor"],
  },
  {
    method: "post",
    path: "/v1/grants/resolve",
    operationId: "resolveGrant",
    summary: "The signed-in user's grant for a provider.",
    auth: "api_key",
    body: ResolveGrantRequest,
    success: { status: 200, description: "The grant id.", schema: ResolveGrantResponseSchema },
    errors: [
      ...BODY_ERRORS,
      "grant_not_found",
      "ambiguous_grant",
      "invalid_user_token",
      "identity_not_configured",
      "identity_unavailable",
    ],
  },
  {
    method: "get",
    path: "/v1/grants/{id}",
    operationId: "getGrant",
    summary: "One grant.",
    auth: "api_key",
    params: id("grant", "a grant id"),
    success: { status: 200, description: "The grant.", schema: GrantBodySchema },
    errors: ["invalid_request", "grant_not_found"],
  },
  {
    method: "delete",
    path: "/v1/grants/{id}",
    operationId: "revokeGrant",
    summary: "Revoke a grant (at the provider too, where it can); the reason is recorded.",
    auth: "api_key",
    params: id("grant", "a grant id"),
    body: RevokeGrantRequest,
    success: { status: 200, description: "The revoked grant.", schema: GrantBodySchema },
    errors: [...BODY_ERRORS, "grant_not_found", "audit_unavailable"],
  },
  {
    method: "post",
    path: "/v1/grants/{id}/credential",
    operationId: "getCredential",
    summary: "Retrieve mode: the headers for one call to `url` (a key with the `use` scope).",
    auth: "api_key",
    params: id("grant", "a grant id"),
    body: CredentialRequest,
    success: { status: 200, description: "The headers to send.", schema: CredentialResponseSchema },
    errors: [
      ...BODY_ERRORS,
      "grant_not_found",
      "provider_disabled",
      "host_not_allowed",
      "grant_expired",
      "grant_revoked",
      "reauth_required",
      "refresh_unavailable",
      "audit_unavailable",
      "user_token_required",
      "invalid_user_token",
      "identity_unavailable",
    ],
  },
  {
    method: "post",
    path: "/v1/grants/{id}/proxy",
    operationId: "proxyCall",
    summary:
      "Proxy mode: the vault makes the call named by the grantvault-method and grantvault-url headers and streams the provider's answer back (marked by grantvault-proxied).",
    auth: "api_key",
    params: id("grant", "a grant id"),
    success: { status: 200, description: "The provider's answer, status, headers and body as it sent them." },
    errors: [
      "invalid_request",
      "payload_too_large",
      "grant_not_found",
      "provider_disabled",
      "host_not_allowed",
      "forbidden_header",
      "method_override_refused",
      "invalid_forwarded_header",
      "grant_expired",
      "grant_revoked",
      "reauth_required",
      "refresh_unavailable",
      "audit_unavailable",
      "upstream_unreachable",
      "upstream_too_large",
      "user_token_required",
      "invalid_user_token",
      "identity_unavailable",
    ],
  },
  {
    method: "get",
    path: "/v1/audit",
    operationId: "listAudit",
    summary: "The app's audit events, newest first.",
    auth: "api_key",
    query: ListAuditQuery,
    success: { status: 200, description: "A page of audit events.", schema: ListAuditResponseSchema },
    errors: ["invalid_request", "invalid_cursor"],
  },
  ...adminOperations(),
  {
    method: "get",
    path: "/connect/{token}/status",
    operationId: "getConnectSessionByToken",
    summary: "A connect session for the Connect.js widget, which holds the session token (CORS).",
    auth: "session_token",
    params: z.object({ token: z.string() }).strict(),
    query: GetConnectSessionQuery,
    success: { status: 200, description: "The session.", schema: ConnectSessionResponseSchema },
    errors: ["invalid_request", "session_not_found"],
  },
];

/**
 * The admin API (issue 15): apps, their providers and identity provider. Every route checks the
 * caller (an operator key, or the app's own admin key; another app's id is `not_found`).
 */
function adminOperations(): ApiOperation[] {
  const ADMIN: ErrorCode[] = ["invalid_request", "insufficient_scope", "not_found"];
  const CHANGE: ErrorCode[] = [...BODY_ERRORS, ...ADMIN, "audit_unavailable"];
  const provider = { description: "The provider (never its client secret).", schema: ProviderBody };
  const identity = {
    description: "The identity provider (never its client secret).",
    schema: IdentityProviderBody,
  };
  const document = z.record(z.string(), z.unknown()).describe("A provider document (providers-file entry)");
  const identityDocument = z
    .record(z.string(), z.unknown())
    .describe("An identity provider document (issuer, clientId, clientSecret…)");
  const appPath = "/v1/apps/{app_id}";
  const providerPath = `${appPath}/providers/{provider_id}`;
  const identityPath = `${appPath}/identity-provider`;
  return [
    {
      method: "get",
      path: "/v1/apps",
      operationId: "listApps",
      summary: "The apps: every app for an operator key, the caller's own for an app's admin key.",
      auth: "api_key",
      success: { status: 200, description: "The apps.", schema: ListAppsResponse },
      errors: ["insufficient_scope"],
    },
    {
      method: "post",
      path: "/v1/apps",
      operationId: "createApp",
      summary: "Create an app and its first API key, all scopes (operator key).",
      auth: "api_key",
      body: CreateAppRequest,
      success: { status: 201, description: "The app; its whole key only here.", schema: CreateAppResponse },
      errors: [...BODY_ERRORS, "insufficient_scope", "audit_unavailable"],
    },
    {
      method: "get",
      path: appPath,
      operationId: "getAdminApp",
      summary: "One app.",
      auth: "api_key",
      params: AppIdParams,
      success: { status: 200, description: "The app.", schema: AppBody },
      errors: ADMIN,
    },
    {
      method: "patch",
      path: appPath,
      operationId: "updateApp",
      summary: "Change an app: name, enabled, allowed origins, user_grants_need_user_token.",
      auth: "api_key",
      params: AppIdParams,
      body: UpdateAppRequest,
      success: { status: 200, description: "The app.", schema: AppBody },
      errors: CHANGE,
    },
    {
      method: "delete",
      path: appPath,
      operationId: "deleteApp",
      summary: "Delete an app with its keys, grants and providers; its audit chain stays (operator key).",
      auth: "api_key",
      params: AppIdParams,
      success: { status: 200, description: "Deleted.", schema: DeleteAppResponse },
      errors: [...ADMIN, "audit_unavailable"],
    },
    {
      method: "get",
      path: `${appPath}/providers`,
      operationId: "listAppProviders",
      summary: "The app's own providers, enabled or not.",
      auth: "api_key",
      params: AppIdParams,
      success: { status: 200, description: "The providers.", schema: ListAppProvidersResponse },
      errors: ADMIN,
    },
    {
      method: "post",
      path: `${appPath}/providers`,
      operationId: "createAppProvider",
      summary: "Add a provider (catalog entry, oidc or oauth2) with its OAuth client to the app.",
      auth: "api_key",
      params: AppIdParams,
      body: document,
      success: { status: 201, ...provider },
      errors: [...CHANGE, "already_exists"],
    },
    {
      method: "get",
      path: providerPath,
      operationId: "getAppProvider",
      summary: "One provider of the app.",
      auth: "api_key",
      params: AppProviderParams,
      success: { status: 200, ...provider },
      errors: ADMIN,
    },
    {
      method: "put",
      path: providerPath,
      operationId: "replaceAppProvider",
      summary: "Create or replace a provider as a whole; without clientSecret the stored one is kept.",
      auth: "api_key",
      params: AppProviderParams,
      body: document,
      success: { status: 200, ...provider },
      errors: CHANGE,
    },
    {
      method: "patch",
      path: providerPath,
      operationId: "updateAppProvider",
      summary: "Change some fields of a provider (null removes one; enabled turns it on or off).",
      auth: "api_key",
      params: AppProviderParams,
      body: document,
      success: { status: 200, ...provider },
      errors: CHANGE,
    },
    {
      method: "delete",
      path: providerPath,
      operationId: "deleteAppProvider",
      summary: "Delete a provider; its grants stay, refused until a provider with that id exists again.",
      auth: "api_key",
      params: AppProviderParams,
      success: { status: 200, description: "Deleted.", schema: DeleteProviderResponse },
      errors: [...ADMIN, "audit_unavailable"],
    },
    {
      method: "get",
      path: identityPath,
      operationId: "getIdentityProvider",
      summary: "The app's identity provider (sign-in, user tokens).",
      auth: "api_key",
      params: AppIdParams,
      success: { status: 200, ...identity },
      errors: ADMIN,
    },
    {
      method: "put",
      path: identityPath,
      operationId: "setIdentityProvider",
      summary: "Set the app's identity provider as a whole; without clientSecret the stored one is kept.",
      auth: "api_key",
      params: AppIdParams,
      body: identityDocument,
      success: { status: 200, ...identity },
      errors: CHANGE,
    },
    {
      method: "patch",
      path: identityPath,
      operationId: "updateIdentityProvider",
      summary: "Change some fields of the identity provider (null removes one; enabled).",
      auth: "api_key",
      params: AppIdParams,
      body: identityDocument,
      success: { status: 200, ...identity },
      errors: CHANGE,
    },
    {
      method: "delete",
      path: identityPath,
      operationId: "deleteIdentityProvider",
      summary: "Remove the app's identity provider.",
      auth: "api_key",
      params: AppIdParams,
      success: { status: 200, description: "Deleted.", schema: DeleteIdentityProviderResponse },
      errors: [...ADMIN, "audit_unavailable"],
    },
  ];
}

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" });
  return rest;
}

function parameters(schema: z.ZodObject | undefined, where: "path" | "query"): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

/** One named response per error status; its body's `code` is one of that status's codes. */
function errorResponses(): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const [code, { status }] of Object.entries(ERROR_CODES) as [ErrorCode, { status: number }][]) {
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[`Error${status}`] = {
      description: `Error: ${codes.join(", ")}.`,
      content: {
        "application/json": {
          schema: {
            allOf: [
              { $ref: "#/components/schemas/ErrorBody" },
              { properties: { error: { properties: { code: { enum: codes } } } } },
            ],
          },
        },
      },
    };
  }
  return responses;
}

function operationObject(operation: ApiOperation): JsonSchema {
  const { success } = operation;
  const codes = [
    ...new Set([...COMMON_ERRORS, ...(operation.auth === "api_key" ? AUTH_ERRORS : []), ...operation.errors]),
  ];
  const statuses = [...new Set(codes.map((code) => ERROR_CODES[code].status))].sort((a, b) => a - b);
  const responses: Record<string, JsonSchema> = {
    [success.status]: {
      description: success.description,
      ...(success.schema
        ? {
            content: {
              [success.contentType ?? "application/json"]: { schema: jsonSchema(success.schema, "output") },
            },
          }
        : {}),
    },
  };
  for (const status of statuses) responses[status] = { $ref: `#/components/responses/Error${status}` };
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    ...(operation.auth === "api_key" ? {} : { security: [] }),
    parameters: [...parameters(operation.params, "path"), ...parameters(operation.query, "query")],
    ...(operation.body
      ? {
          requestBody: {
            // Required when an empty body would not do.
            required: !operation.body.safeParse({}).success,
            content: { "application/json": { schema: jsonSchema(operation.body, "input") } },
          },
        }
      : {}),
    responses,
    "x-error-codes": codes,
    ...accessExtension(operation),
  };
}

/** Who may call it (the protocol's ROUTE_ACCESS): `x-grantvault-access`, for the `/v1` routes. */
function accessExtension(operation: ApiOperation): JsonSchema {
  if (operation.auth !== "api_key") return {};
  const access = routeAccess(operation.method, operation.path);
  if (!access) throw new Error(`${operation.method} ${operation.path} has no entry in ROUTE_ACCESS`);
  return { "x-grantvault-access": access };
}

/** The version of the contract: the protocol package's, which the server and SDKs share. */
export const API_VERSION = "0.1.0";

/** The OpenAPI 3.1 document of the vault's HTTP API. */
export function buildOpenApiDocument(version: string = API_VERSION): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of API_OPERATIONS) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Grantvault",
      version,
      description:
        "An OAuth credential vault. Every error answers with an ErrorBody; the registry of its codes (code → status, message) is `x-error-codes` of components.schemas.ErrorBody.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description: "An API key: `Authorization: Bearer gv_live_…`.",
        },
      },
      schemas: {
        ErrorBody: { ...jsonSchema(ErrorBodySchema, "output"), "x-error-codes": ERROR_CODES },
      },
      responses: errorResponses(),
    },
  };
}
