import {
  AppIdParams,
  type DeleteIdentityProviderResponse,
  type IdentityProviderBody,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { IdentityProviderAdmin } from "../../control/identity-provider-admin.js";
import { requireAppAdmin } from "../admin-access.js";
import { identityProviderBody } from "../admin-bodies.js";
import { validate } from "../validate.js";

/**
 * An app's identity provider over the admin API (issue 15):
 * `GET/PUT/PATCH/DELETE /v1/apps/{app_id}/identity-provider`. The body is the identity provider
 * document (issuer, client…; the app is the path's), validated as a whole; never the secret back.
 */
export function registerAdminIdentityProvider(scope: FastifyInstance, identity: IdentityProviderAdmin): void {
  const path = "/apps/:app_id/identity-provider";

  scope.get(path, async (request): Promise<IdentityProviderBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    requireAppAdmin(request, app_id);
    return identityProviderBody(await identity.get(app_id));
  });

  scope.put(path, async (request): Promise<IdentityProviderBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    return identityProviderBody(await identity.put(actor, app_id, request.body));
  });

  scope.patch(path, async (request): Promise<IdentityProviderBody> => {
    const { app_id } = validate(AppIdParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    return identityProviderBody(await identity.update(actor, app_id, request.body));
  });

  scope.delete(path, async (request): Promise<DeleteIdentityProviderResponse> => {
    const { app_id } = validate(AppIdParams, request.params);
    const actor = requireAppAdmin(request, app_id);
    await identity.delete(actor, app_id);
    return { app_id, deleted: true };
  });
}
