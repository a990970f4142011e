import type { ApiKeyScope } from "./api-keys.js";

/**
 * Who may call a `/v1` route:
 * - `scopes`: an app's API key with at least one of `anyOf` (an operator key is refused: it
 *   manages the vault and uses no app's grants);
 * - `any_app_key`: any app's API key, whatever its scopes;
 * - `admin`: the control plane: an operator key, or an app's key with the `admin` scope (the route
 *   then checks which app it may act on, see the server's admin-access.ts).
 */
export type RouteAccess =
  | { kind: "scopes"; anyOf: readonly ApiKeyScope[] }
  | { kind: "any_app_key" }
  | { kind: "admin" };

const scopes = (...anyOf: ApiKeyScope[]): RouteAccess => ({ kind: "scopes", anyOf });
const ADMIN: RouteAccess = { kind: "admin" };

/**
 * The scopes a grant use needs, by mode: retrieve mode hands the provider's token to the caller
 * (`use` only); proxy mode keeps it in the vault (`use` or `proxy`). The credential and proxy
 * routes check them together with the key and the grant, in one query (CredentialAccess).
 */
export const GRANT_USE_SCOPES = {
  retrieve: ["use"],
  proxy: ["use", "proxy"],
} as const satisfies Record<string, readonly ApiKeyScope[]>;

/**
 * THE table of who may call each `/v1` route (`METHOD path`, path parameters as `{name}`). The
 * server refuses to start with a `/v1` route missing here, and one hook enforces it (the grant-use
 * routes check GRANT_USE_SCOPES themselves, see above). A refused key gets 403
 * `insufficient_scope` naming what the route needs.
 */
export const ROUTE_ACCESS: Record<string, RouteAccess> = {
  // Which app a key belongs to: how any key checks itself (it says nothing beyond the key's app).
  "GET /v1/app": { kind: "any_app_key" },
  // The app's providers, for a Connect picker (connect) or a dashboard (read).
  "GET /v1/providers": scopes("connect", "read"),

  // The caller's own app's keys.
  "GET /v1/api-keys": scopes("admin"),
  "POST /v1/api-keys": scopes("admin"),
  "GET /v1/api-keys/{id}": scopes("admin"),
  "PATCH /v1/api-keys/{id}": scopes("admin"),
  "DELETE /v1/api-keys/{id}": scopes("admin"),

  "POST /v1/connect/sessions": scopes("connect"),
  "GET /v1/connect/sessions/{id}": scopes("connect"),
  "POST /v1/auth/sessions": scopes("connect"),
  "GET /v1/auth/sessions/{id}": scopes("connect"),
  "POST /v1/identity/verify": scopes("connect"),

  "GET /v1/grants": scopes("read"),
  "GET /v1/grants/{id}": scopes("read"),
  // Which grant a signed-in user's call means; it reveals only a grant id, used with `use`/`proxy`.
  "POST /v1/grants/resolve": scopes("read", "use", "proxy"),
  // Disconnecting an account: the other end of connecting one (a read-only key changes nothing).
  "DELETE /v1/grants/{id}": scopes("connect"),
  "POST /v1/grants/{id}/credential": scopes(...GRANT_USE_SCOPES.retrieve),
  "POST /v1/grants/{id}/proxy": scopes(...GRANT_USE_SCOPES.proxy),
  "GET /v1/audit": scopes("read"),

  // The control plane (issue 15): an operator key, or an app's admin key for its own app.
  "GET /v1/apps": ADMIN,
  "POST /v1/apps": ADMIN,
  "GET /v1/apps/{app_id}": ADMIN,
  "PATCH /v1/apps/{app_id}": ADMIN,
  "DELETE /v1/apps/{app_id}": ADMIN,
  "GET /v1/apps/{app_id}/providers": ADMIN,
  "POST /v1/apps/{app_id}/providers": ADMIN,
  "GET /v1/apps/{app_id}/providers/{provider_id}": ADMIN,
  "PUT /v1/apps/{app_id}/providers/{provider_id}": ADMIN,
  "PATCH /v1/apps/{app_id}/providers/{provider_id}": ADMIN,
  "DELETE /v1/apps/{app_id}/providers/{provider_id}": ADMIN,
  "GET /v1/apps/{app_id}/identity-provider": ADMIN,
  "PUT /v1/apps/{app_id}/identity-provider": ADMIN,
  "PATCH /v1/apps/{app_id}/identity-provider": ADMIN,
  "DELETE /v1/apps/{app_id}/identity-provider": ADMIN,
  "GET /v1/apps/{app_id}/api-keys": ADMIN,
  "POST /v1/apps/{app_id}/api-keys": ADMIN,
  "GET /v1/apps/{app_id}/api-keys/{key_id}": ADMIN,
  "PATCH /v1/apps/{app_id}/api-keys/{key_id}": ADMIN,
  "DELETE /v1/apps/{app_id}/api-keys/{key_id}": ADMIN,
};

/** The table's entry for a route, by method and path (`:name` or `{name}` parameters alike). */
export function routeAccess(method: string, path: string): RouteAccess | undefined {
  const wanted = routeKey(method === "HEAD" ? "GET" : method, path);
  return ACCESS_BY_SHAPE.get(wanted);
}

/** What a refusal says is needed. */
export function describeAccess(access: RouteAccess): string {
  if (access.kind === "admin") return "an operator key or an API key with the admin scope";
  if (access.kind === "any_app_key") return "an app's API key";
  const names = access.anyOf.map((scope) => `\`${scope}\``);
  return names.length === 1
    ? `the ${names[0]} scope`
    : `one of the scopes ${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

function routeKey(method: string, path: string): string {
  // Parameter names may differ between the table and a router (`:id` vs `{key_id}`); shapes not.
  const shape = path.replace(/:[A-Za-z0-9_]+|\{[A-Za-z0-9_]+\}/g, "{}").replace(/\/+$/, "");
  return `${method.toUpperCase()} ${shape}`;
}

const ACCESS_BY_SHAPE = new Map(
  Object.entries(ROUTE_ACCESS).map(([route, access]) => {
    const [method = "", path = ""] = route.split(" ");
    return [routeKey(method, path), access] as const;
  }),
);
