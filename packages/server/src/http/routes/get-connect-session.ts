import {
  ConnectSessionParams,
  type ConnectSessionResponse,
  GetConnectSessionQuery,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import { VaultError } from "../../errors.js";
import { callerOf } from "../api-key-auth.js";
import { connectSessionBody } from "../connect-session-body.js";
import { holdSession } from "../hold-session.js";
import { validate } from "../validate.js";

/**
 * `GET /v1/connect/sessions/<id>[?wait=N]`: the session's status and results. With `wait`, a
 * pending session is held up to N seconds and answered the moment it changes (long-poll).
 */
export function registerGetConnectSession(scope: FastifyInstance, sessions: ConnectSessionService): void {
  scope.get("/connect/sessions/:id", async (request, reply): Promise<ConnectSessionResponse> => {
    const caller = callerOf(request);
    const { id } = validate(ConnectSessionParams, request.params);
    const { wait = 0 } = validate(GetConnectSessionQuery, request.query);
    const session = await holdSession(reply, sessions, caller.appId, id, wait);
    // Sign-in sessions are read at /v1/auth/sessions (they carry a user token, not grants).
    if (session?.kind !== "connect") throw new VaultError("not_found");
    return connectSessionBody(session, sessions.statusOf(session));
  });
}
