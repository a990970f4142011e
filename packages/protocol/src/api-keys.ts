import { z } from "zod";
import { ID_FORMATS } from "./ids.js";

/**
 * What an app's API key may do (issue 15). Every `/v1` route needs one of them (see
 * {@link ./route-scopes.ts}); a key lacking it gets 403 `insufficient_scope` naming the scope.
 * - `admin`: the control plane (the app's keys, and `/v1/apps/<its id>/…`);
 * - `connect`: create and read connect and sign-in sessions, verify user tokens, revoke grants;
 * - `use`: use grants in retrieve mode (the provider's token reaches the caller) and proxy mode;
 * - `proxy`: use grants in proxy mode only (the token never leaves the vault);
 * - `read`: list and read grants, resolve a user's grant, read the audit log.
 */
export const API_KEY_SCOPES = ["admin", "connect", "use", "proxy", "read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a key created by another key gets when it names no scopes: everything but `admin`. */
export const DEFAULT_DELEGATED_SCOPES: readonly ApiKeyScope[] = ["connect", "use", "proxy", "read"];

const Scopes = z.array(z.enum(API_KEY_SCOPES)).max(API_KEY_SCOPES.length);
/** An expiry in the future, as an ISO 8601 time; null: never expires. */
const ExpiresAt = z.iso.datetime({ offset: true }).nullable();

/**
 * `POST /v1/api-keys` (the caller's app) and `POST /v1/apps/<app_id>/api-keys`: another API key
 * (for rotating keys without downtime, or a narrower key for one job). An `admin` key gets
 * `scopes` (default everything but `admin`), never more than its own.
 */
export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    scopes: Scopes.optional(),
    expires_at: ExpiresAt.optional(),
  })
  .strict();
export type CreateApiKeyRequest = z.infer<typeof CreateApiKeyRequest>;

export const CreateApiKeyResponse = z
  .object({
    api_key_id: z.string(),
    app_id: z.string(),
    /** The whole key: returned only in this response. */
    api_key: z.string(),
    prefix: z.string(),
    name: z.string().nullable(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    expires_at: z.string().nullable(),
  })
  .strict();
export type CreateApiKeyResponse = z.infer<typeof CreateApiKeyResponse>;

/** Whether a key authenticates now: `disabled` can be enabled again, `revoked` (deleted) cannot. */
export const API_KEY_STATUSES = ["active", "disabled", "expired", "revoked"] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/** A key as listed and shown: never the key itself (the vault keeps only its hash). */
export const ApiKeyView = z
  .object({
    api_key_id: z.string(),
    app_id: z.string(),
    name: z.string().nullable(),
    /** The first characters of the key, enough to recognise it. */
    prefix: z.string(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    status: z.enum(API_KEY_STATUSES),
    created_at: z.string(),
    /** The key that created this one; null when the operator did. */
    created_by: z.string().nullable(),
    last_used_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    disabled_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .strict();
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export const ListApiKeysResponse = z.object({ api_keys: z.array(ApiKeyView) }).strict();
export type ListApiKeysResponse = z.infer<typeof ListApiKeysResponse>;

/**
 * `PATCH /v1/api-keys/<id>` and `PATCH /v1/apps/<app_id>/api-keys/<key_id>`: rename, change the
 * scopes (never beyond the caller's own), set or clear the expiry, disable or enable again.
 */
export const UpdateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100).nullable().optional(),
    scopes: Scopes.optional(),
    expires_at: ExpiresAt.optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type UpdateApiKeyRequest = z.infer<typeof UpdateApiKeyRequest>;

/** `DELETE /v1/api-keys/<id>`: revokes a key of the caller's app, effective at once. */
export const ApiKeyIdParams = z
  .object({ id: z.string().regex(ID_FORMATS.apiKey.pattern, "not an API key id") })
  .strict();

/** `/v1/apps/<app_id>/api-keys/<key_id>`. */
export const AppApiKeyParams = z
  .object({
    app_id: z.string().regex(ID_FORMATS.app.pattern, "not an app id"),
    key_id: z.string().regex(ID_FORMATS.apiKey.pattern, "not an API key id"),
  })
  .strict();

/** `/v1/apps/<app_id>/api-keys`. */
export const AppApiKeysParams = z
  .object({ app_id: z.string().regex(ID_FORMATS.app.pattern, "not an app id") })
  .strict();

export const RevokeApiKeyResponse = z
  .object({
    api_key_id: z.string(),
    revoked: z.literal(true),
  })
  .strict();
export type RevokeApiKeyResponse = z.infer<typeof RevokeApiKeyResponse>;
