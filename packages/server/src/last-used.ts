/**
 * `last_used_at` of API keys and grants is written at most once a minute: it answers "is this
 * still in use?", and a write on every call would double the cost of the hottest path.
 */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** Whether a row last used at `lastUsedAt` should be touched at `now`. */
export function isTouchDue(lastUsedAt: number | null, now: number): boolean {
  return lastUsedAt === null || lastUsedAt < now - LAST_USED_RESOLUTION_MS;
}
