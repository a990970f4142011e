import { z } from "zod";

/** `POST /v1/api-keys`: another API key for the caller's app (for rotating keys without downtime). */
export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
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
  })
  .strict();
export type CreateApiKeyResponse = z.infer<typeof CreateApiKeyResponse>;

/** `DELETE /v1/api-keys/<id>`: revokes a key of the caller's app, effective at once. */
export const ApiKeyIdParams = z
  .object({ id: z.string().regex(/^key_[0-9a-f]{24}$/, "not an API key id") })
  .strict();

export const RevokeApiKeyResponse = z
  .object({
    api_key_id: z.string(),
    revoked: z.literal(true),
  })
  .strict();
export type RevokeApiKeyResponse = z.infer<typeof RevokeApiKeyResponse>;
