import { randomBytes, randomFillSync } from "node:crypto";

/** A random identifier that says what it names, e.g. `app_5f0c…`, `grant_…` (96 random bits). */
export function newId(prefix: "app" | "key" | "grant" | "prv" | "opk"): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

const EVENT_ID_BYTES = 12;
/** Random bytes for this many event ids are drawn at once. */
const EVENTS_PER_DRAW = 256;
let eventPool = Buffer.alloc(0);
let eventPoolOffset = 0;

/**
 * An audit event's id, `evt_` and 96 random bits. Every credential and proxied call writes one,
 * so the random bytes come from a pool refilled a few kilobytes at a time: a call into the CSPRNG
 * per id cost more than the rest of the id. Ids name rows; they are not secrets (keys, tokens and
 * nonces take their randomness straight from randomBytes).
 */
export function newEventId(): string {
  if (eventPoolOffset === eventPool.length) {
    eventPool = randomFillSync(Buffer.allocUnsafe(EVENT_ID_BYTES * EVENTS_PER_DRAW));
    eventPoolOffset = 0;
  }
  const start = eventPoolOffset;
  eventPoolOffset += EVENT_ID_BYTES;
  return `evt_${eventPool.toString("hex", start, eventPoolOffset)}`;
}
