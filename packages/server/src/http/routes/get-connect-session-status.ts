import { GetConnectSessionQuery } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import { VaultError } from "../../errors.js";
import { connectSessionBody } from "../connect-session-body.js";
import { holdSession } from "../hold-session.js";
import { validate } from "../validate.js";

/**
 * `GET /connect/<session token>/status[?wait=N]`: the session's status for the Connect.js widget,
 * which holds the session token but no API key. Long-poll like the API's session endpoint. Readable
 * from the session's allowed origin only (CORS); the token is the credential, as in the Connect URL.
 */
export function registerSessionStatus(pages: FastifyInstance, sessions: ConnectSessionService): void {
  pages.get<{ Params: { token: string } }>("/connect/:token/status", async (request, reply) => {
    const { wait = 0 } = validate(GetConnectSessionQuery, request.query);
    const found = await sessions.findByToken(request.params.token);
    if (found?.kind !== "connect") {
      // Readable by any page: "no such session" tells nothing, and the widget must tell it apart
      // from a network failure (invalid_token, not network_error).
      reply.header("access-control-allow-origin", "*");
      throw new VaultError("session_not_found");
    }
    const origin = request.headers.origin;
    if (found.allowedOrigin && origin === found.allowedOrigin) {
      reply.header("access-control-allow-origin", origin).header("vary", "origin");
    }
    reply.header("cache-control", "no-store");
    const session = await holdSession(reply, sessions, found.appId, found.id, wait);
    if (!session) throw new VaultError("session_not_found");
    return connectSessionBody(session, sessions.statusOf(session));
  });
}
