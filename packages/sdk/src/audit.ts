import { type AuditEventBody, idProblem, type ListAuditResponse } from "@grantvault/protocol";
import { VaultValueError } from "./errors.js";
import type { VaultHttp } from "./http.js";

/** One entry of the vault's audit log. */
export interface AuditEvent {
  eventId: string;
  /** Position in the app's hash chain. */
  seq: number;
  /** e.g. `credential.retrieved`, `credential.refused`, `grant.revoked`, `session.completed`. */
  type: string;
  outcome: "ok" | "refused" | "error";
  createdAt: Date;
  grantId: string | null;
  providerId: string | null;
  apiKeyPrefix: string | null;
  reason: string | null;
  context: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  hash: string;
  prevHash: string;
}

export interface ListAuditEventsOptions {
  type?: string;
  grantId?: string;
  /** Page size, 1–200 (default 50). */
  limit?: number;
  cursor?: string;
}

export async function listAuditEvents(
  http: VaultHttp,
  options: ListAuditEventsOptions = {},
): Promise<{ events: AuditEvent[]; nextCursor: string | null }> {
  const problem = options.grantId === undefined ? null : idProblem("grant", options.grantId);
  if (problem !== null) throw new VaultValueError("invalid_argument", `grantId: ${problem}`);
  const query = new URLSearchParams();
  if (options.type !== undefined) query.set("type", options.type);
  if (options.grantId !== undefined) query.set("grant_id", options.grantId);
  if (options.limit !== undefined) query.set("limit", String(options.limit));
  if (options.cursor !== undefined) query.set("cursor", options.cursor);
  const page = await http.call<ListAuditResponse>("GET", `/v1/audit${query.size > 0 ? `?${query}` : ""}`);
  return { events: page.events.map(toEvent), nextCursor: page.next_cursor };
}

function toEvent(body: AuditEventBody): AuditEvent {
  return {
    eventId: body.event_id,
    seq: body.seq,
    type: body.type,
    outcome: body.outcome,
    createdAt: new Date(body.created_at),
    grantId: body.grant_id,
    providerId: body.provider_id,
    apiKeyPrefix: body.api_key_prefix,
    reason: body.reason,
    context: body.context,
    details: body.details,
    hash: body.hash,
    prevHash: body.prev_hash,
  };
}
