import type { FastifyRequest } from "fastify";
import type { AdminActor, AppKeyActor, OperatorActor } from "../apps/admin-actor.js";
import { VaultError } from "../errors.js";
import type { AppCaller } from "./api-key-auth.js";

export type { AdminActor, AppKeyActor, OperatorActor } from "../apps/admin-actor.js";

/**
 * Who may act on app `appId` through `/v1/apps/{app_id}/…`: an operator key (every app), or an
 * app's API key with the `admin` scope whose app is `appId`. Another app's id is answered as not
 * found (apps are isolation boundaries: a key learns nothing of other apps); a key of the app
 * without `admin` gets 403 `insufficient_scope`.
 */
export function requireAppAdmin(request: FastifyRequest, appId: string): AdminActor {
  const caller = request.caller;
  if (!caller) throw new VaultError("missing_api_key");
  if (caller.kind === "operator") return operatorActor(caller);
  if (caller.appId !== appId) throw new VaultError("not_found");
  if (!caller.scopes.includes("admin")) {
    throw new VaultError("insufficient_scope", {
      message: "Administering an app needs an operator key or the app's API key with the `admin` scope.",
    });
  }
  return appKeyActor(caller);
}

/** The actor an app's key is, on the routes for its own app (`/v1/api-keys`). */
export function appKeyActor(caller: AppCaller): AppKeyActor {
  return {
    kind: "api_key",
    appId: caller.appId,
    keyId: caller.keyId,
    keyPrefix: caller.keyPrefix,
    scopes: caller.scopes,
  };
}

/** What only the operator may do over HTTP (creating and deleting apps): an operator key. */
export function requireOperator(request: FastifyRequest): OperatorActor {
  const caller = request.caller;
  if (!caller) throw new VaultError("missing_api_key");
  if (caller.kind !== "operator") {
    throw new VaultError("insufficient_scope", {
      message: "This needs an operator key (`grantvault-server operator-keys create`).",
    });
  }
  return operatorActor(caller);
}

function operatorActor(caller: { keyId: string; keyPrefix: string }): OperatorActor {
  return { kind: "operator", keyId: caller.keyId, keyPrefix: caller.keyPrefix };
}
