import { z } from "zod";
import { ID_FORMATS } from "./ids.js";

/**
 * What a key may do beyond using the app's grants in proxy mode, creating connect sessions and
 * reading grants and audit rows (which every key may):
 * - `admin`: create and revoke the app's API keys;
 * - `retrieve`: retrieve mode (`POST /v1/grants/<id>/credential`), which hands the provider's
 *   token to the caller. A key without it is proxy-only: the token never leaves the vault.
 */
export const API_KEY_SCOPES = ["admin", "retrieve"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/**
 * `POST /v1/api-keys`: another API key for the caller's app (for rotating keys without downtime).
 * Needs an `admin` key; the new key gets `scopes` (default `["retrieve"]`), never more than the
 * caller's own.
 */
export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    scopes: z.array(z.enum(API_KEY_SCOPES)).max(API_KEY_SCOPES.length).optional(),
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
  })
  .strict();
export type CreateApiKeyResponse = z.infer<typeof CreateApiKeyResponse>;

/** `DELETE /v1/api-keys/<id>`: revokes a key of the caller's app, effective at once. */
export const ApiKeyIdParams = z
  .object({ id: z.string().regex(ID_FORMATS.apiKey.pattern, "not an API key id") })
  .strict();

export const RevokeApiKeyResponse = z
  .object({
    api_key_id: z.string(),
    revoked: z.literal(true),
  })
  .strict();
export type RevokeApiKeyResponse = z.infer<typeof RevokeApiKeyResponse>;
