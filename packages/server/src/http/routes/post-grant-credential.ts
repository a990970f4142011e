import { CredentialRequest, type CredentialResponse, GrantIdParams } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { CredentialAccess } from "../../grants/credential-access.js";
import { presentedApiKeyOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/grants/<id>/credential` (retrieve mode): the headers for one call to `url`, after every
 * check. The SDK injects them and makes the call itself; it never shows them to the caller.
 */
export function registerPostGrantCredential(scope: FastifyInstance, access: CredentialAccess): void {
  scope.post(
    "/grants/:id/credential",
    { config: { keyCheckedWithGrant: true } },
    async (request): Promise<CredentialResponse> => {
      const apiKey = presentedApiKeyOf(request);
      const { id } = validate(GrantIdParams, request.params);
      const body = validate(CredentialRequest, request.body ?? {});
      const granted = await access.grant(
        apiKey,
        id,
        {
          method: body.method,
          url: body.url,
          reason: body.reason,
          context: body.context,
          userToken: body.user_token,
        },
        "retrieve",
      );
      const expiresAt = granted.tokens.expiresAt;
      return {
        // The URL as the vault parsed and approved it: the SDK calls exactly this (F9).
        url: new URL(body.url).href,
        headers: granted.headers,
        expires_at: expiresAt === undefined ? null : new Date(expiresAt).toISOString(),
        retry_info: granted.refresh ? { refresh_attempts: granted.refresh.attempts } : null,
      };
    },
  );
}
