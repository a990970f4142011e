import { VaultError } from "../errors.js";
import type { DocumentIssue } from "../providers/provider-config.js";
import type { Store } from "../storage/store.js";
import { canonicalJson } from "./canonical-json.js";

/**
 * What the control plane's document services (providers, identity providers) share: how a
 * document is refused, patched and compared. A document is stored without its client secret,
 * which is sealed beside it.
 */

/** `invalid_request` listing every problem of a document; `kind` names it ("provider"). */
export function invalidDocument(kind: string, issues: DocumentIssue[]): VaultError {
  return new VaultError("invalid_request", {
    message: `The ${kind} document is invalid: ${issues.map((issue) => `${issue.path || "(document)"}: ${issue.message}`).join("; ")}.`,
    issues: issues.map((issue) => ({ path: issue.path, message: issue.message })),
  });
}

export function isDocumentObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function hasClientSecret(document: unknown): boolean {
  return isDocumentObject(document) && "clientSecret" in document;
}

/** `stored` with a PATCH's fields applied: `null` removes an optional field, anything else sets it. */
export function patched(
  stored: Record<string, unknown>,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const merged = { ...stored };
  for (const [field, value] of Object.entries(fields)) {
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  return merged;
}

/** The fields that differ between two stored documents, `clientSecret` when the secrets do; sorted. */
export function changedFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  secretChanged: boolean,
): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...keys].filter((key) => canonicalJson(before[key]) !== canonicalJson(after[key]));
  if (secretChanged) changed.push("clientSecret");
  return changed.sort();
}

/** Whether a stored document and secret equal a new document (with its secret). */
export function sameDocument(
  stored: Record<string, unknown>,
  storedSecret: string,
  document: Record<string, unknown>,
  secret: string,
): boolean {
  return canonicalJson(stored) === canonicalJson(document) && storedSecret === secret;
}

/** `not_found` unless the app exists. */
export async function requireApp(store: Store, appId: string): Promise<void> {
  if (!(await store.apps.get(appId))) throw new VaultError("not_found", { message: "There is no such app." });
}
