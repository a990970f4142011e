import { ApiKeyIdParams, type RevokeApiKeyResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ApiKeyManagement } from "../../apps/api-key-management.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `DELETE /v1/api-keys/<id>`: revokes one of the caller's app's keys (an `admin` key only;
 * idempotent; never the app's last active key).
 */
export function registerDeleteApiKey(scope: FastifyInstance, management: ApiKeyManagement): void {
  scope.delete("/api-keys/:id", async (request): Promise<RevokeApiKeyResponse> => {
    const caller = callerOf(request);
    const { id } = validate(ApiKeyIdParams, request.params);
    await management.revoke({ kind: "api_key", ...caller }, caller.appId, id);
    return { api_key_id: id, revoked: true };
  });
}
