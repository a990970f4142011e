import {
  type AppBody,
  AppIdParams,
  type CreateAppResponse,
  type DeleteAppResponse,
  type ListAppsResponse,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { AppAdmin } from "../../control/app-admin.js";
import { requireAppAdmin, requireOperator } from "../admin-access.js";
import { appBody } from "../admin-bodies.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * The admin API's apps (issue 15): `GET/POST /v1/apps`, `GET/PATCH/DELETE /v1/apps/{app_id}`.
 * Creating and deleting apps is an operator key's; the rest admits the app's own admin key.
 */
export function registerAdminApps(scope: FastifyInstance, apps: AppAdmin): void {
  scope.get("/apps", async (request): Promise<ListAppsResponse> => {
    if (request.caller?.kind === "operator") return { apps: (await apps.list()).map(appBody) };
    const { appId } = callerOf(request);
    requireAppAdmin(request, appId);
    return { apps: [appBody(await apps.get(appId))] };
  });

  scope.post("/apps", async (request, reply): Promise<CreateAppResponse> => {
    const actor = requireOperator(request);
    const { app, apiKey } = await apps.create(actor, request.body);
    reply.status(201);
    return {
      app: appBody(app),
      api_key: {
        api_key_id: apiKey.key.id,
        api_key: apiKey.plaintext,
        prefix: apiKey.key.prefix,
        scopes: [...apiKey.key.scopes],
      },
    };
  });

  scope.get("/apps/:app_id", async (request): Promise<AppBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    requireAppAdmin(request, app_id);
    return appBody(await apps.get(app_id));
  });

  scope.patch("/apps/:app_id", async (request): Promise<AppBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    return appBody(await apps.update(actor, app_id, request.body));
  });

  scope.delete("/apps/:app_id", async (request): Promise<DeleteAppResponse> => {
    const { app_id } = validate(AppIdParams, request.params);
    // Vault-wide: an app's own key may not delete the app it belongs to.
    const actor = requireOperator(request);
    await apps.delete(actor, app_id);
    return { app_id, deleted: true };
  });
}
