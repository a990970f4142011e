import { AppApiKeysParams, CreateApiKeyRequest, type CreateApiKeyResponse } from "@grantvault/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AdminActor, ApiKeyManagement } from "../../apps/api-key-management.js";
import { appKeyActor, requireAppAdmin } from "../admin-access.js";
import { callerOf } from "../api-key-auth.js";
import { expiryOf } from "../api-key-view.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/api-keys` (the caller's app) and `POST /v1/apps/<app_id>/api-keys`: mints another
 * key (an app's key needs `admin` and grants at most its own scopes); the whole key is in this
 * response only.
 */
export function registerPostApiKeys(scope: FastifyInstance, management: ApiKeyManagement): void {
  async function create(request: FastifyRequest, reply: FastifyReply, actor: AdminActor, appId: string) {
    const body = validate(CreateApiKeyRequest, request.body ?? {});
    const { key, plaintext } = await management.create(actor, appId, {
      name: body.name ?? null,
      scopes: body.scopes,
      expiresAt: expiryOf(body.expires_at),
    });
    reply.status(201);
    return {
      api_key_id: key.id,
      app_id: key.appId,
      api_key: plaintext,
      prefix: key.prefix,
      name: key.name,
      scopes: [...key.scopes],
      expires_at: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    } satisfies CreateApiKeyResponse;
  }
  scope.post("/api-keys", async (request, reply): Promise<CreateApiKeyResponse> => {
    const caller = callerOf(request);
    return create(request, reply, appKeyActor(caller), caller.appId);
  });
  scope.post("/apps/:app_id/api-keys", async (request, reply): Promise<CreateApiKeyResponse> => {
    const { app_id } = validate(AppApiKeysParams, request.params);
    return create(request, reply, requireAppAdmin(request, app_id), app_id);
  });
}
