import type { FastifyRequest } from "fastify";
import type { ChangeActor } from "../control/change-actor.js";
import { VaultError } from "../errors.js";
import { callerOf } from "./api-key-auth.js";

/**
 * Who may manage `appId` over the admin API: the app's own key with the `admin` scope. Another
 * app's id answers as if it did not exist (its existence is not the caller's to learn).
 */
export function requireAppAdmin(request: FastifyRequest, appId: string): ChangeActor {
  const caller = callerOf(request);
  if (caller.appId !== appId) throw new VaultError("not_found", { message: "There is no such app." });
  if (!caller.scopes.includes("admin")) {
    throw new VaultError("insufficient_scope", {
      message: "Managing the app needs a key with the admin scope.",
    });
  }
  return { kind: "api_key", appId: caller.appId, keyId: caller.keyId, keyPrefix: caller.keyPrefix };
}

/** Creating and deleting apps: vault-wide, so an operator key's only (see operator keys). */
export function requireOperator(request: FastifyRequest): ChangeActor {
  callerOf(request);
  throw new VaultError("insufficient_scope", {
    message: "Creating and deleting apps needs an operator key (`grantvault-server operator-keys create`).",
  });
}
