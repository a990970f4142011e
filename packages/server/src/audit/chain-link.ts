import { hash } from "node:crypto";
import { newEventId } from "../ids.js";
import type { AuditRow } from "../storage/audit-repository.js";
import type { AuditEventInput } from "./audit-event.js";
import { type AuditSigner, rowMessage } from "./chain-mac.js";

/** The end of a chain: where the next row attaches. */
export interface ChainTip {
  seq: number;
  hash: string;
}

/** The fields a row's hash covers: all but the hash and the MAC over it. */
export type ChainFields = Omit<AuditRow, "hash" | "mac_key_id" | "mac">;

/** The tip of an empty chain. */
export const GENESIS: ChainTip = { seq: 0, hash: "0".repeat(64) };

/** Rows for `events`, in order, chained onto `tip`, each MACed by `signer`. */
export function linkRows(
  events: AuditEventInput[],
  tip: ChainTip,
  now: number,
  signer: AuditSigner,
): AuditRow[] {
  let previous = tip;
  return events.map((event) => {
    const fields: ChainFields = {
      id: newEventId(),
      app_id: event.appId,
      seq: previous.seq + 1,
      created_at: now,
      type: event.type,
      outcome: event.outcome ?? "ok",
      grant_id: event.grantId ?? null,
      provider_id: event.providerId ?? null,
      api_key_prefix: event.apiKeyPrefix ?? null,
      reason: event.reason ?? null,
      context: event.context ? JSON.stringify(event.context) : null,
      details: event.details ? JSON.stringify(event.details) : null,
      prev_hash: previous.hash,
    };
    const hash = hashOf(fields);
    const mac = signer.mac(rowMessage(signer.keyId, fields.app_id, fields.seq, hash));
    const row = { ...fields, hash, mac_key_id: signer.keyId, mac };
    previous = row;
    return row;
  });
}

/** SHA-256 over the previous hash and every field, in a fixed order, as JSON. */
export function hashOf(row: ChainFields): string {
  const fields = [
    row.prev_hash,
    row.id,
    row.app_id,
    row.seq,
    row.created_at,
    row.type,
    row.outcome,
    row.grant_id,
    row.provider_id,
    row.api_key_prefix,
    row.reason,
    row.context,
    row.details,
  ];
  // One-shot: no Hash object per row (every credential and proxied call writes one).
  return hash("sha256", JSON.stringify(fields), "hex");
}
