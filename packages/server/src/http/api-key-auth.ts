import type { ApiKeyScope } from "@grantvault/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ApiKeyService, isWellFormedApiKey } from "../apps/api-keys.js";
import { VaultError } from "../errors.js";

/** Who is calling: resolved from the API key on every `/v1` request. */
export interface Caller {
  appId: string;
  keyId: string;
  keyPrefix: string;
  scopes: readonly ApiKeyScope[];
}

declare module "fastify" {
  interface FastifyRequest {
    caller: Caller | null;
    /** The API key as presented, on routes that check it themselves (`keyCheckedWithGrant`). */
    presentedApiKey: string | null;
  }
  interface FastifyContextConfig {
    /**
     * The route checks the API key itself, in the same query that reads the grant it names
     * (CredentialAccess): the hook only requires one to be present. For the hot paths only.
     */
    keyCheckedWithGrant?: boolean;
  }
}

/** Requires `Authorization: Bearer <api key>` on every route registered inside `scope`. */
export function requireApiKey(scope: FastifyInstance, apiKeys: ApiKeyService): void {
  scope.decorateRequest("presentedApiKey", null);
  scope.addHook("onRequest", async (request) => {
    const presented = bearerToken(request);
    if (presented === null) throw new VaultError("missing_api_key");
    if (request.routeOptions.config.keyCheckedWithGrant === true) {
      // Checked by the route, after its body is read; a key that cannot be one stops here.
      if (!isWellFormedApiKey(presented)) throw new VaultError("invalid_api_key");
      request.presentedApiKey = presented;
      return;
    }
    const result = await apiKeys.authenticate(presented);
    if (!result.ok) throw new VaultError(result.reason);
    request.caller = {
      appId: result.appId,
      keyId: result.keyId,
      keyPrefix: result.keyPrefix,
      scopes: result.scopes,
    };
  });
}

/** The authenticated caller of a `/v1` request (routes there always have one). */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new VaultError("missing_api_key");
  return request.caller;
}

/** The API key of a `keyCheckedWithGrant` route, still to be checked by the route. */
export function presentedApiKeyOf(request: FastifyRequest): string {
  if (request.presentedApiKey === null) throw new VaultError("missing_api_key");
  return request.presentedApiKey;
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new VaultError("invalid_api_key");
  return match[1];
}
