import {
  AppIdParams,
  AppProviderParams,
  type DeleteProviderResponse,
  type ListAppProvidersResponse,
  type ProviderBody,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ProviderAdmin } from "../../control/provider-admin.js";
import { requireAppAdmin } from "../admin-access.js";
import { providerBody } from "../admin-bodies.js";
import { validate } from "../validate.js";

/**
 * An app's providers over the admin API (issue 15): `GET/POST /v1/apps/{app_id}/providers`,
 * `GET/PUT/PATCH/DELETE /v1/apps/{app_id}/providers/{provider_id}`. Bodies are provider documents,
 * validated as a whole by ProviderAdmin (every problem at once); answers never hold the secret.
 */
export function registerAdminProviders(scope: FastifyInstance, providers: ProviderAdmin): void {
  scope.get("/apps/:app_id/providers", async (request): Promise<ListAppProvidersResponse> => {
    const { app_id } = validate(AppIdParams, request.params);
    requireAppAdmin(request, app_id);
    return { providers: (await providers.list(app_id)).map(providerBody) };
  });

  scope.post("/apps/:app_id/providers", async (request, reply): Promise<ProviderBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    const created = await providers.create(actor, app_id, request.body);
    reply.status(201);
    return providerBody(created);
  });

  scope.get("/apps/:app_id/providers/:provider_id", async (request): Promise<ProviderBody> => {
    const { app_id, provider_id } = validate(AppProviderParams, request.params);
    requireAppAdmin(request, app_id);
    return providerBody(await providers.get(app_id, provider_id));
  });

  scope.put("/apps/:app_id/providers/:provider_id", async (request): Promise<ProviderBody> => {
    const { app_id, provider_id } = validate(AppProviderParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    return providerBody(await providers.replace(actor, app_id, provider_id, request.body));
  });

  scope.patch("/apps/:app_id/providers/:provider_id", async (request): Promise<ProviderBody> => {
    const { app_id, provider_id } = validate(AppProviderParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    return providerBody(await providers.update(actor, app_id, provider_id, request.body));
  });

  scope.delete("/apps/:app_id/providers/:provider_id", async (request): Promise<DeleteProviderResponse> => {
    const { app_id, provider_id } = validate(AppProviderParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    await providers.delete(actor, app_id, provider_id);
    return { provider_id, deleted: true };
  });
}
