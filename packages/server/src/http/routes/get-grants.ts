import { ListGrantsQuery, type ListGrantsResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { GrantService } from "../../grants/grant-service.js";
import { callerOf } from "../api-key-auth.js";
import { grantBody } from "../grant-body.js";
import { validate } from "../validate.js";

/** `GET /v1/grants?provider=&status=&account=&limit=&cursor=`: the app's grants, newest first. */
export function registerGetGrants(scope: FastifyInstance, grants: GrantService): void {
  scope.get("/grants", async (request): Promise<ListGrantsResponse> => {
    const caller = callerOf(request);
    const query = validate(ListGrantsQuery, request.query);
    const page = await grants.list(
      caller.appId,
      { providerId: query.provider, status: query.status, accountIdentifier: query.account },
      query.limit,
      query.cursor,
    );
    return {
      grants: page.grants.map((grant) => grantBody(grant, grants.statusOf(grant))),
      next_cursor: page.nextCursor,
    };
  });
}
