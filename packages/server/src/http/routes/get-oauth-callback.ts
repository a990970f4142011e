import type { FastifyInstance } from "fastify";
import type { ConnectFlow } from "../../connect/connect-flow.js";
import { resultPage } from "../pages/result-page.js";
import { sendPage } from "../pages/send-page.js";

/**
 * `GET /v1/oauth/callback/<provider>`: where providers send the user back. One URL per provider,
 * so an authorization response cannot be replayed against another provider. Answers with a page.
 */
export function registerGetOAuthCallback(app: FastifyInstance, flow: ConnectFlow, publicUrl: string): void {
  app.get<{ Params: { provider: string } }>("/v1/oauth/callback/:provider", async (request, reply) => {
    // The URL as the provider built it: oauth4webapi reads state, code, iss and error from it.
    const callbackUrl = new URL(request.url, publicUrl);
    const outcome = await flow.complete(request.params.provider, callbackUrl);
    if (outcome.kind === "success") {
      return sendPage(
        reply,
        200,
        resultPage(
          "success",
          `Connected ${outcome.providerName}`,
          `Your account ${outcome.accountIdentifier} is now connected.`,
        ),
      );
    }
    if (outcome.kind === "denied") {
      return sendPage(reply, 200, resultPage("denied", "Access was not granted", outcome.message));
    }
    return sendPage(reply, 400, resultPage("error", "The connection failed", outcome.message));
  });
}
