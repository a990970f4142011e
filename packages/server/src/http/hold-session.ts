import type { FastifyReply } from "fastify";
import type { ConnectSessionService } from "../connect/connect-sessions.js";
import type { ConnectSessionRecord } from "../storage/connect-sessions-repository.js";

/**
 * Long-poll: the session, held up to `waitSeconds` while pending (see ConnectSessionService.wait).
 * Stops waiting when the client goes away, so an abandoned poll holds nothing. (The response's
 * "close" fires on disconnect; the request's fires as soon as its body was read.)
 */
export async function holdSession(
  reply: FastifyReply,
  sessions: ConnectSessionService,
  appId: string,
  sessionId: string,
  waitSeconds: number,
): Promise<ConnectSessionRecord | null> {
  const abandoned = new AbortController();
  const onClose = () => abandoned.abort();
  reply.raw.once("close", onClose);
  try {
    return await sessions.wait(appId, sessionId, waitSeconds * 1000, abandoned.signal);
  } finally {
    reply.raw.off("close", onClose);
  }
}
