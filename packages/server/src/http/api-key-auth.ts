import { type ApiKeyScope, describeAccess, type RouteAccess, routeAccess } from "@grantvault/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type ApiKeyService, isWellFormedApiKey } from "../apps/api-keys.js";
import { isOperatorKey, type OperatorKeyService } from "../apps/operator-keys.js";
import { VaultError } from "../errors.js";

/** Who is calling: resolved from the key on every `/v1` request. */
export type Caller = AppCaller | OperatorCaller;

/** An app's API key (`gv_live_…`): acts on its own app, within its scopes. */
export interface AppCaller {
  kind: "app";
  appId: string;
  keyId: string;
  keyPrefix: string;
  scopes: readonly ApiKeyScope[];
}

/** An operator key (`gv_op_…`): the control plane of every app, nothing else. */
export interface OperatorCaller {
  kind: "operator";
  keyId: string;
  keyPrefix: string;
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
     * (CredentialAccess), scopes included: the hook only requires one to be present. For the hot
     * paths only.
     */
    keyCheckedWithGrant?: boolean;
    /** Who may call the route: its ROUTE_ACCESS entry, set when a `/v1` route is registered. */
    access?: RouteAccess;
  }
}

const OPERATOR_REFUSED = "Operator keys manage the vault (/v1/apps…); use an app's API key for this.";

/**
 * Requires `Authorization: Bearer <key>` on every route registered inside `scope`, and enforces
 * who may call each one as ROUTE_ACCESS (the protocol's one table) says: a route missing from it
 * stops the server from starting.
 */
export function requireApiKey(
  scope: FastifyInstance,
  keys: { apiKeys: ApiKeyService; operatorKeys: OperatorKeyService },
): void {
  scope.decorateRequest("presentedApiKey", null);
  scope.addHook("onRoute", (route) => {
    const methods = [route.method].flat();
    const access = routeAccess(methods[0] ?? "", route.url);
    const missing = methods.find((method) => !access || routeAccess(method, route.url) !== access);
    if (!access || missing !== undefined) {
      throw new Error(
        `${missing ?? methods[0]} ${route.url} has no entry in ROUTE_ACCESS (protocol/src/route-scopes.ts)`,
      );
    }
    // Looked up once, here: each request reads it from its route's config.
    route.config = { ...route.config, access };
  });
  scope.addHook("onRequest", async (request) => {
    const presented = bearerToken(request);
    if (presented === null) throw new VaultError("missing_api_key");
    const { access } = request.routeOptions.config;
    if (isOperatorKey(presented)) {
      const result = await keys.operatorKeys.authenticate(presented);
      if (!result.ok) throw new VaultError(result.reason);
      request.caller = { kind: "operator", keyId: result.keyId, keyPrefix: result.keyPrefix };
      if (access?.kind !== "admin") throw new VaultError("insufficient_scope", { message: OPERATOR_REFUSED });
      return;
    }
    if (request.routeOptions.config.keyCheckedWithGrant === true) {
      // Checked by the route, after its body is read; a key that cannot be one stops here.
      if (!isWellFormedApiKey(presented)) throw new VaultError("invalid_api_key");
      request.presentedApiKey = presented;
      return;
    }
    const result = await keys.apiKeys.authenticate(presented);
    if (!result.ok) throw new VaultError(result.reason);
    const caller: AppCaller = {
      kind: "app",
      appId: result.appId,
      keyId: result.keyId,
      keyPrefix: result.keyPrefix,
      scopes: result.scopes,
    };
    request.caller = caller;
    // No entry: not a route (Fastify's 404 answers); every registered one has one (onRoute above).
    if (access) requireAccess(caller, access);
  });
}

/** Refuses an app's key the route does not admit, naming what it needs. */
export function requireAccess(caller: AppCaller, access: RouteAccess): void {
  const needed = access.kind === "admin" ? ["admin"] : access.kind === "scopes" ? access.anyOf : [];
  if (needed.length === 0 || needed.some((scope) => caller.scopes.includes(scope as ApiKeyScope))) return;
  throw new VaultError("insufficient_scope", { message: insufficientScopeMessage(access, caller.scopes) });
}

export function insufficientScopeMessage(access: RouteAccess, has: readonly ApiKeyScope[]): string {
  return `This needs ${describeAccess(access)}; this key has ${has.length > 0 ? has.join(", ") : "no scopes"}.`;
}

/** The authenticated app caller of a `/v1` request (every route but the control plane's). */
export function callerOf(request: FastifyRequest): AppCaller {
  const caller = request.caller;
  if (!caller) throw new VaultError("missing_api_key");
  if (caller.kind !== "app") throw new VaultError("insufficient_scope", { message: OPERATOR_REFUSED });
  return caller;
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
