import type { ApiKeyScope } from "@grantvault/protocol";

/**
 * Who changes the control plane: the operator (the server CLI, or an operator key over HTTP), who
 * may act on every app, or an app's API key with the `admin` scope, which acts on its own app
 * only, may not grant scopes it lacks and may not remove its app's last admin key (F4).
 */
export type AdminActor = OperatorActor | AppKeyActor;

export interface OperatorActor {
  kind: "operator";
  /** The operator key used over HTTP; null for the server CLI. */
  keyId: string | null;
  keyPrefix: string | null;
}

export interface AppKeyActor {
  kind: "api_key";
  appId: string;
  keyId: string;
  keyPrefix: string;
  scopes: readonly ApiKeyScope[];
}

/** The operator at the server CLI (in process, on the database itself). */
export const OPERATOR: OperatorActor = { kind: "operator", keyId: null, keyPrefix: null };

/** What audit rows record of the actor: the display prefix of the key it used, if any. */
export function actorPrefix(actor: AdminActor): string | null {
  return actor.keyPrefix;
}

/** `by` in audit details: who it was, never a secret. */
export function actorLabel(actor: AdminActor): "operator" | "api_key" {
  return actor.kind;
}
