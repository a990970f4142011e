import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ApiKeyService } from "../apps/api-keys.js";
import { VaultError } from "../errors.js";

/** Who is calling: resolved from the API key on every `/v1` request. */
export interface Caller {
  appId: string;
  keyId: string;
  keyPrefix: string;
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

/** Requires `Authorization: Bearer <api key>` on every route registered inside `scope`. */
export function requireApiKey(scope: FastifyInstance, apiKeys: ApiKeyService): void {
  scope.addHook("onRequest", async (request) => {
    const presented = bearerToken(request);
    if (presented === null) throw new VaultError("missing_api_key");
    const result = await apiKeys.authenticate(presented);
    if (!result.ok) throw new VaultError(result.reason);
    request.caller = { appId: result.appId, keyId: result.keyId, keyPrefix: result.keyPrefix };
  });
}

/** The authenticated caller of a `/v1` request (routes there always have one). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new VaultError("missing_api_key");
  return request.caller;
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new VaultError("invalid_api_key");
  return match[1];
}
