import { VerifyUserTokenRequest, type VerifyUserTokenResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { UserTokens } from "../../identity/user-tokens.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/identity/verify`: whether a user token is valid for the caller's app (signature by the
 * identity provider's current keys, issuer, audience, expiry), and whose it is.
 */
export function registerPostIdentityVerify(scope: FastifyInstance, userTokens: UserTokens): void {
  scope.post("/identity/verify", async (request): Promise<VerifyUserTokenResponse> => {
    const caller = callerOf(request);
    const { user_token } = validate(VerifyUserTokenRequest, request.body ?? {});
    const claims = await userTokens.verify(caller.appId, user_token);
    return { subject: claims?.sub ?? null };
  });
}
