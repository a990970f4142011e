import type { ListProvidersResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ProviderDirectory } from "../../control/provider-directory.js";
import { callerOf } from "../api-key-auth.js";
import { offeredProviderBody } from "../offered-provider-body.js";

/**
 * `GET /v1/providers`: the providers the caller's app may offer its users (its own enabled ones,
 * then the built-in ones), so an app can build its own picker (issue 15 item 5). Never a client
 * id or secret: only what a user is shown and asked for.
 */
export function registerGetProviders(scope: FastifyInstance, providers: ProviderDirectory): void {
  scope.get("/providers", async (request): Promise<ListProvidersResponse> => {
    const caller = callerOf(request);
    const offered = await providers.forApp(caller.appId);
    return { providers: offered.list().map(offeredProviderBody) };
  });
}
