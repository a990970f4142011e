import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Binds an OAuth flow to the browser that started it (F2, RFC 9700 §4.7.1). The start hands that
 * browser a random secret (a cookie) and keeps only its hash with the state; the callback must
 * bring the secret back. Someone who sends their own flow's authorize URL to a victim cannot
 * complete it with the victim's account: the victim's browser never got the secret.
 */
export interface BrowserBinding {
  /** Names this flow's secret among others of the same browser (parallel flows, several tabs). */
  key: string;
  /** The secret the starting browser keeps (as a cookie). */
  secret: string;
  /** SHA-256 of the secret, stored with the state. */
  hash: string;
}

/** A fresh binding for the flow whose `state` is about to be sent to the provider. */
export function newBrowserBinding(state: string): BrowserBinding {
  const secret = randomBytes(32).toString("base64url");
  return { key: bindingKeyOf(state), secret, hash: sha256(secret) };
}

/**
 * The binding's key, from the state the callback carries: the first 16 hex digits of the state's
 * SHA-256 (what the vault stores is the whole hash; this short key says nothing beyond it).
 */
export function bindingKeyOf(state: string): string {
  return sha256(state).slice(0, 16);
}

/** Whether `secret` (from the callback's browser) is the one the flow was bound to; constant time. */
export function bindingMatches(secret: string | undefined, storedHash: string | null): boolean {
  // A state stored before bindings existed has no hash: refused (fail closed).
  if (secret === undefined || storedHash === null) return false;
  const presented = Buffer.from(sha256(secret), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}
