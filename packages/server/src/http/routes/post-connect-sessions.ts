import { CreateConnectSessionRequest, type CreateConnectSessionResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import { callerOf } from "../api-key-auth.js";
import { grantPolicyRecord } from "../connect-session-body.js";
import { validate } from "../validate.js";

/** `POST /v1/connect/sessions`: a Connect link for the user, valid 10 minutes, completed once. */
export function registerPostConnectSessions(
  scope: FastifyInstance,
  sessions: ConnectSessionService,
  publicUrl: string,
): void {
  scope.post("/connect/sessions", async (request, reply): Promise<CreateConnectSessionResponse> => {
    const caller = callerOf(request);
    const body = validate(CreateConnectSessionRequest, request.body ?? {});
    const { session, token } = await sessions.create(
      caller.appId,
      {
        allowedProviders: body.allowed_providers,
        grantPolicy: grantPolicyRecord(body.grant_policy),
        returnUrl: body.return_url,
        allowedOrigin: body.allowed_origin,
        requiredScopes: body.required_scopes,
        metadata: body.metadata,
        userToken: body.user_token,
        connectionParams: body.connection_params,
      },
      caller.keyPrefix,
    );
    reply.status(201);
    return {
      session_id: session.id,
      session_token: token,
      connect_url: `${publicUrl}/connect/${token}`,
      confirmation_code: session.confirmationCode,
      expires_at: new Date(session.expiresAt).toISOString(),
    };
  });
}
