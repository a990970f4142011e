import type { FastifyInstance } from "fastify";
import type { ConnectFlow } from "../../connect/connect-flow.js";
import { SIGN_IN_CALLBACK_PATH } from "../../identity/sign-in-callback.js";
import { replyWithOutcome } from "../flow-outcome-reply.js";

/**
 * `GET /v1/oauth/callback/<provider>`: where providers send the user back. One URL per provider,
 * so an authorization response cannot be replayed against another provider; sign-ins at an app's
 * identity provider come back to `GET /v1/auth/callback`. Answers with a page or a redirect.
 */
export function registerGetOAuthCallback(app: FastifyInstance, flow: ConnectFlow, publicUrl: string): void {
  app.get<{ Params: { provider: string } }>("/v1/oauth/callback/:provider", async (request, reply) => {
    // The URL as the provider built it: oauth4webapi reads state, code, iss and error from it.
    const callbackUrl = new URL(request.url, publicUrl);
    const outcome = await flow.complete(
      { kind: "connect", providerId: request.params.provider },
      callbackUrl,
    );
    return replyWithOutcome(reply, outcome);
  });
  app.get(SIGN_IN_CALLBACK_PATH, async (request, reply) => {
    const outcome = await flow.complete({ kind: "auth" }, new URL(request.url, publicUrl));
    return replyWithOutcome(reply, outcome);
  });
}
