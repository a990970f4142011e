import { ApiKeyIdParams, type RevokeApiKeyResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ApiKeyService } from "../../apps/api-keys.js";
import { VaultError } from "../../errors.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/** `DELETE /v1/api-keys/<id>`: revokes one of the caller's app's keys (idempotent). */
export function registerDeleteApiKey(scope: FastifyInstance, apiKeys: ApiKeyService): void {
  scope.delete("/api-keys/:id", async (request): Promise<RevokeApiKeyResponse> => {
    const caller = callerOf(request);
    const { id } = validate(ApiKeyIdParams, request.params);
    if ((await apiKeys.revokeOwn(caller.appId, id)) === "not_found") throw new VaultError("not_found");
    return { api_key_id: id, revoked: true };
  });
}
