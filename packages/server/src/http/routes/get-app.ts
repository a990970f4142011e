import type { AppInfoResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import { VaultError } from "../../errors.js";
import type { Store } from "../../storage/store.js";
import { callerOf } from "../api-key-auth.js";

/** `GET /v1/app`: which app the API key belongs to (a cheap way for SDKs to check a key). */
export function registerGetApp(scope: FastifyInstance, store: Store): void {
  scope.get("/app", async (request): Promise<AppInfoResponse> => {
    const caller = callerOf(request);
    const app = await store.apps.get(caller.appId);
    if (!app) throw new VaultError("invalid_api_key");
    return { app_id: app.id, name: app.name, api_key_prefix: caller.keyPrefix };
  });
}
