/**
 * Who changes the control plane, as the audit log records it: the operator at the server's CLI
 * (or the vault itself at start, importing the providers file), a vault-wide operator key, or an
 * app's API key with the `admin` scope.
 */
export type ChangeActor =
  | { kind: "operator" }
  | { kind: "operator_key"; keyId: string; keyPrefix: string }
  | { kind: "api_key"; appId: string; keyId: string; keyPrefix: string };

export const CLI_OPERATOR: ChangeActor = { kind: "operator" };

/** The prefix the audit row names as the acting key, or null for the operator at the CLI. */
export function actingKeyPrefix(actor: ChangeActor): string | null {
  return actor.kind === "operator" ? null : actor.keyPrefix;
}
