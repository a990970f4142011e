import {
  ERROR_CODES,
  type ErrorCode,
  RETURN_URL_PARAMS,
  type ReturnUrlStatus,
  WIDGET_MESSAGE_TYPE,
  type WidgetMessage,
} from "@grantvault/protocol";
import type { FastifyReply } from "fastify";
import type { FlowOutcome } from "../connect/connect-flow.js";
import { connectResultBody } from "./connect-session-body.js";
import { resultPage } from "./pages/result-page.js";
import { sendPage } from "./pages/send-page.js";

/**
 * Ends a flow in the browser the way it was opened: a popup reports to the page that opened it
 * (only at the session's allowed origin) and closes; otherwise a session with a return URL sends
 * the browser back to the app (with the session id and status only); else the result is shown.
 */
export function replyWithOutcome(reply: FastifyReply, outcome: FlowOutcome): FastifyReply {
  const session = outcome.session;
  const code = outcome.kind === "success" ? undefined : outcome.code;
  const status: ReturnUrlStatus = outcome.kind;
  if (outcome.display !== "popup" && session?.returnUrl) {
    const target = new URL(session.returnUrl);
    target.searchParams.set(RETURN_URL_PARAMS.sessionId, session.id);
    target.searchParams.set(RETURN_URL_PARAMS.status, status);
    return reply.redirect(target.toString(), 303);
  }
  const [kind, heading, message] =
    outcome.kind === "success"
      ? ([
          "success",
          session?.kind === "auth"
            ? `Signed in with ${outcome.providerName}`
            : `Connected ${outcome.providerName}`,
          session?.kind === "auth"
            ? `You are signed in as ${outcome.accountIdentifier}.`
            : `Your account ${outcome.accountIdentifier} is now connected.`,
        ] as const)
      : outcome.kind === "denied"
        ? (["denied", "Access was not granted", outcome.message] as const)
        : (["error", (code && CODE_HEADINGS[code]) ?? "The connection failed", outcome.message] as const);
  const popupMessage =
    outcome.display === "popup" && session?.allowedOrigin && session.kind === "connect"
      ? {
          targetOrigin: session.allowedOrigin,
          message: {
            type: WIDGET_MESSAGE_TYPE,
            version: 1,
            session_id: session.id,
            event: "OAUTH_COMPLETE",
            ...(outcome.kind === "success"
              ? { results: (session.results ?? []).map(connectResultBody) }
              : {
                  error: {
                    code: outcome.kind === "denied" ? "access_denied" : "provider_error",
                    message: outcome.message,
                  },
                }),
          } satisfies WidgetMessage,
        }
      : undefined;
  return sendPage(
    reply,
    code ? ERROR_CODES[code].status : outcome.kind === "error" ? 400 : 200,
    resultPage(kind, heading, message, { report: popupMessage, errorCode: code }),
  );
}

/** Headings of the refusals that are the vault's, not the provider's answer. */
const CODE_HEADINGS: Partial<Record<ErrorCode, string>> = {
  flow_browser_mismatch: "Started in another browser",
  identity_unavailable: "Sign-in is unavailable",
};
