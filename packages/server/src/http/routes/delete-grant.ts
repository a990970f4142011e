import { type GrantBody, GrantIdParams, RevokeGrantRequest } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import { VaultError } from "../../errors.js";
import type { GrantService } from "../../grants/grant-service.js";
import { callerOf } from "../api-key-auth.js";
import { grantBody } from "../grant-body.js";
import { validate } from "../validate.js";

/**
 * `DELETE /v1/grants/<id>` with an optional `{ reason }`: revokes the grant (credentials deleted,
 * tokens revoked at the provider where it supports RFC 7009). Answers the revoked grant.
 */
export function registerDeleteGrant(scope: FastifyInstance, grants: GrantService): void {
  scope.delete("/grants/:id", async (request): Promise<GrantBody> => {
    const caller = callerOf(request);
    const { id } = validate(GrantIdParams, request.params);
    const { reason } = validate(RevokeGrantRequest, request.body ?? {});
    const grant = await grants.revoke(caller.appId, id, reason ?? null, caller.keyPrefix);
    if (!grant) throw new VaultError("grant_not_found");
    return grantBody(grant, grants.statusOf(grant));
  });
}
