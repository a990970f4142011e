import { ApiKeyIdParams, AppApiKeyParams, type RevokeApiKeyResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ApiKeyManagement } from "../../apps/api-key-management.js";
import { appKeyActor, requireAppAdmin } from "../admin-access.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `DELETE /v1/api-keys/<id>` and `DELETE /v1/apps/<app_id>/api-keys/<key_id>`: revokes (deletes
 * for good) a key (idempotent; an app's key never removes its app's last active admin key).
 */
export function registerDeleteApiKey(scope: FastifyInstance, management: ApiKeyManagement): void {
  scope.delete("/api-keys/:id", async (request): Promise<RevokeApiKeyResponse> => {
    const caller = callerOf(request);
    const { id } = validate(ApiKeyIdParams, request.params);
    await management.revoke(appKeyActor(caller), caller.appId, id);
    return { api_key_id: id, revoked: true };
  });
  scope.delete("/apps/:app_id/api-keys/:key_id", async (request): Promise<RevokeApiKeyResponse> => {
    const { app_id, key_id } = validate(AppApiKeyParams, request.params);
    await management.revoke(requireAppAdmin(request, app_id), app_id, key_id);
    return { api_key_id: key_id, revoked: true };
  });
}
