import { ResolveGrantRequest, type ResolveGrantResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { UserGrantResolver } from "../../grants/user-grant-resolver.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/grants/resolve`: the signed-in user's grant for a provider (`request()` with a user
 * token and a provider instead of a grant id). 409 `ambiguous_grant` lists the accounts to pick from.
 */
export function registerPostGrantsResolve(scope: FastifyInstance, resolver: UserGrantResolver): void {
  scope.post("/grants/resolve", async (request): Promise<ResolveGrantResponse> => {
    const caller = callerOf(request);
    const body = validate(ResolveGrantRequest, request.body ?? {});
    const grant = await resolver.resolve(caller.appId, {
      userToken: body.user_token,
      providerId: body.provider,
      account: body.account,
    });
    return { grant_id: grant.id };
  });
}
