import { type GrantBody, GrantIdParams } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import { VaultError } from "../../errors.js";
import type { GrantService } from "../../grants/grant-service.js";
import { callerOf } from "../api-key-auth.js";
import { grantBody } from "../grant-body.js";
import { validate } from "../validate.js";

/** `GET /v1/grants/<id>` */
export function registerGetGrant(scope: FastifyInstance, grants: GrantService): void {
  scope.get("/grants/:id", async (request): Promise<GrantBody> => {
    const caller = callerOf(request);
    const { id } = validate(GrantIdParams, request.params);
    const grant = await grants.get(caller.appId, id);
    if (!grant) throw new VaultError("grant_not_found");
    return grantBody(grant, grants.statusOf(grant));
  });
}
