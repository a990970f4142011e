import { ApiKeyIdParams, type ApiKeyView, AppApiKeyParams, UpdateApiKeyRequest } from "@grantvault/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AdminActor, ApiKeyManagement } from "../../apps/api-key-management.js";
import type { Clock } from "../../clock.js";
import { appKeyActor, requireAppAdmin } from "../admin-access.js";
import { callerOf } from "../api-key-auth.js";
import { apiKeyView, expiryOf } from "../api-key-view.js";
import { validate } from "../validate.js";

/**
 * `PATCH /v1/api-keys/<id>` and `PATCH /v1/apps/<app_id>/api-keys/<key_id>` with
 * `{ name?, scopes?, expires_at?, enabled? }`: changes a key that is not revoked; answers it.
 */
export function registerPatchApiKey(
  scope: FastifyInstance,
  management: ApiKeyManagement,
  clock: Clock,
): void {
  async function update(request: FastifyRequest, actor: AdminActor, appId: string, keyId: string) {
    const body = validate(UpdateApiKeyRequest, request.body ?? {});
    const key = await management.update(actor, appId, keyId, {
      name: body.name,
      scopes: body.scopes,
      expiresAt: expiryOf(body.expires_at),
      enabled: body.enabled,
    });
    return apiKeyView(key, clock.now());
  }
  scope.patch("/api-keys/:id", async (request): Promise<ApiKeyView> => {
    const caller = callerOf(request);
    const { id } = validate(ApiKeyIdParams, request.params);
    return update(request, appKeyActor(caller), caller.appId, id);
  });
  scope.patch("/apps/:app_id/api-keys/:key_id", async (request): Promise<ApiKeyView> => {
    const { app_id, key_id } = validate(AppApiKeyParams, request.params);
    return update(request, requireAppAdmin(request, app_id), app_id, key_id);
  });
}
