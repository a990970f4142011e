import { CreateApiKeyRequest, type CreateApiKeyResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ApiKeyManagement } from "../../apps/api-key-management.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/api-keys`: mints another key for the caller's app (an `admin` key only, with at most
 * its own scopes); the whole key is in this response only.
 */
export function registerPostApiKeys(scope: FastifyInstance, management: ApiKeyManagement): void {
  scope.post("/api-keys", async (request, reply): Promise<CreateApiKeyResponse> => {
    const caller = callerOf(request);
    const body = validate(CreateApiKeyRequest, request.body ?? {});
    const { key, plaintext } = await management.create({ kind: "api_key", ...caller }, caller.appId, {
      name: body.name ?? null,
      scopes: body.scopes,
    });
    reply.status(201);
    return {
      api_key_id: key.id,
      app_id: key.appId,
      api_key: plaintext,
      prefix: key.prefix,
      name: key.name,
      scopes: [...key.scopes],
    };
  });
}
