import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { CallbackTarget, ConnectFlow } from "../../connect/connect-flow.js";
import { SIGN_IN_CALLBACK_PATH } from "../../identity/sign-in-callback.js";
import type { FlowCookies } from "../flow-cookie.js";
import { replyWithOutcome } from "../flow-outcome-reply.js";

/**
 * `GET /v1/oauth/callback/<provider>`: where providers send the user back. One URL per provider,
 * so an authorization response cannot be replayed against another provider; sign-ins at an app's
 * identity provider come back to `GET /v1/auth/callback`. The browser must bring the flow's
 * binding cookie from the start (F2). Answers with a page or a redirect.
 */
export function registerGetOAuthCallback(
  app: FastifyInstance,
  deps: { flow: ConnectFlow; publicUrl: string; cookies: FlowCookies },
): void {
  async function handle(request: FastifyRequest, reply: FastifyReply, target: CallbackTarget) {
    // The URL as the provider built it: oauth4webapi reads state, code, iss and error from it.
    const callbackUrl = new URL(request.url, deps.publicUrl);
    const state = callbackUrl.searchParams.get("state");
    const outcome = await deps.flow.complete(target, callbackUrl, deps.cookies.secretFor(request, state));
    if (outcome.stateUsed && state) deps.cookies.clear(reply, state);
    return replyWithOutcome(reply, outcome);
  }
  app.get<{ Params: { provider: string } }>("/v1/oauth/callback/:provider", (request, reply) =>
    handle(request, reply, { kind: "connect", providerId: request.params.provider }),
  );
  app.get(SIGN_IN_CALLBACK_PATH, (request, reply) => handle(request, reply, { kind: "auth" }));
}
