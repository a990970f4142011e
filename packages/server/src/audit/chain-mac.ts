import { createHmac, timingSafeEqual } from "node:crypto";
import type { Keyring } from "../crypto/keyring.js";

/** The HKDF label of the audit key: a key of its own, derived from each master key (F8). */
const AUDIT_KEY_INFO = "grantvault audit chain v1";

/**
 * Authenticates the audit chain with a key held outside the database (F8). The SHA-256 chain
 * (chain-link.ts) commits every row to its predecessors; the MAC over a row's hash proves the
 * vault wrote it: a row rewritten and its successors re-hashed no longer match their MACs without
 * the key. MACs name the master key they were derived from, so a rotation can re-MAC old rows
 * (hashes unchanged, so exported checkpoints stay valid) before the old key is dropped.
 */
export interface AuditSigner {
  keyId: string;
  mac(message: string): string;
}

/** Derived keys, per key ring and master key id: derivation is not free and every append MACs. */
const derived = new WeakMap<Keyring, Map<string, Buffer | null>>();

function auditKeyOf(keyring: Keyring, keyId: string): Buffer | null {
  let keys = derived.get(keyring);
  if (!keys) {
    keys = new Map();
    derived.set(keyring, keys);
  }
  if (!keys.has(keyId)) keys.set(keyId, keyring.derive(keyId, AUDIT_KEY_INFO));
  return keys.get(keyId) ?? null;
}

/** The signer of new rows and checkpoints: the audit key of the ring's primary master key. */
export function auditSigner(keyring: Keyring): AuditSigner {
  return signerOf(keyring, keyring.primaryId) as AuditSigner;
}

/** The signer for master key `keyId`, or null when the ring no longer has it. */
export function signerOf(keyring: Keyring, keyId: string): AuditSigner | null {
  const key = auditKeyOf(keyring, keyId);
  if (!key) return null;
  return { keyId, mac: (message) => createHmac("sha256", key).update(message, "utf8").digest("hex") };
}

/** What a row's MAC covers: its place (app, seq), its hash (which covers every field) and the key id. */
export function rowMessage(keyId: string, appId: string, seq: number, hash: string): string {
  return JSON.stringify(["row", keyId, appId, seq, hash]);
}

/** What a checkpoint's MAC covers. */
export function checkpointMessage(
  keyId: string,
  checkpoint: { app_id: string; seq: number; hash: string; created_at: number },
): string {
  return JSON.stringify([
    "checkpoint",
    keyId,
    checkpoint.app_id,
    checkpoint.seq,
    checkpoint.hash,
    checkpoint.created_at,
  ]);
}

/** Constant-time comparison of two hex MACs. */
export function macsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
