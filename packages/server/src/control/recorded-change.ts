import { type AdminActor, actorLabel, actorPrefix } from "../apps/admin-actor.js";
import type { AuditEventType } from "../audit/audit-event.js";
import type { AuditLog } from "../audit/audit-log.js";
import { VaultError } from "../errors.js";
import type { ConfigEvents } from "./config-events.js";

/** A control-plane change already written to the database, as its audit row names it. */
export interface StoredChange {
  appId: string;
  type: AuditEventType;
  providerId?: string;
  /** Facts of the change (which fields, which provider); never a secret. */
  details: Record<string, unknown>;
}

/**
 * Records a stored change in the app's audit chain, with the actor, and tells every process of it.
 * Fails closed: when the audit row cannot be written, `undo` takes the change back and the caller
 * gets `audit_unavailable`. The processes are told either way, since one may have read the change
 * in between.
 */
export async function recordChange(
  deps: { audit: AuditLog; events: ConfigEvents },
  actor: AdminActor,
  change: StoredChange,
  undo: () => Promise<unknown>,
): Promise<void> {
  try {
    await deps.audit.append({
      appId: change.appId,
      type: change.type,
      ...(change.providerId === undefined ? {} : { providerId: change.providerId }),
      apiKeyPrefix: actorPrefix(actor),
      details: { ...change.details, by: actorLabel(actor) },
    });
  } catch (error) {
    await undo();
    throw new VaultError("audit_unavailable", { cause: error });
  } finally {
    await deps.events.publish(change.appId);
  }
}
