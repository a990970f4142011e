import {
  ApiKeyIdParams,
  type ApiKeyView,
  AppApiKeyParams,
  AppApiKeysParams,
  type ListApiKeysResponse,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ApiKeyManagement } from "../../apps/api-key-management.js";
import type { Clock } from "../../clock.js";
import { appKeyActor, requireAppAdmin } from "../admin-access.js";
import { callerOf } from "../api-key-auth.js";
import { apiKeyView } from "../api-key-view.js";
import { validate } from "../validate.js";

/**
 * `GET /v1/api-keys[/<id>]` (the caller's app) and `GET /v1/apps/<app_id>/api-keys[/<key_id>]`:
 * an app's keys, revoked ones included, as prefixes and metadata (never a key).
 */
export function registerGetApiKeys(scope: FastifyInstance, management: ApiKeyManagement, clock: Clock): void {
  scope.get("/api-keys", async (request): Promise<ListApiKeysResponse> => {
    const caller = callerOf(request);
    const keys = await management.list(appKeyActor(caller), caller.appId);
    return { api_keys: keys.map((key) => apiKeyView(key, clock.now())) };
  });
  scope.get("/api-keys/:id", async (request): Promise<ApiKeyView> => {
    const caller = callerOf(request);
    const { id } = validate(ApiKeyIdParams, request.params);
    return apiKeyView(await management.get(appKeyActor(caller), caller.appId, id), clock.now());
  });
  scope.get("/apps/:app_id/api-keys", async (request): Promise<ListApiKeysResponse> => {
    const { app_id } = validate(AppApiKeysParams, request.params);
    const keys = await management.list(requireAppAdmin(request, app_id), app_id);
    return { api_keys: keys.map((key) => apiKeyView(key, clock.now())) };
  });
  scope.get("/apps/:app_id/api-keys/:key_id", async (request): Promise<ApiKeyView> => {
    const { app_id, key_id } = validate(AppApiKeyParams, request.params);
    return apiKeyView(await management.get(requireAppAdmin(request, app_id), app_id, key_id), clock.now());
  });
}
