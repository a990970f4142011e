import type { ApiKeyScope } from "@grantvault/protocol";
import { isTouchDue } from "../last-used.js";
import { LruMap } from "../lru-map.js";
import type { GrantRecord } from "../storage/grants-repository.js";

/** What a credential or proxied call read of its key and grant, kept for the next call. */
export interface GrantRead {
  keyHash: string;
  appId: string;
  keyPrefix: string;
  keyScopes: readonly ApiKeyScope[];
  keyExpiresAt: number | null;
  keyLastUsedAt: number | null;
  grant: GrantRecord;
  sealedCredential: string;
}

/** Reads kept, at most (least recently used leave first). */
const CAPACITY = 1000;

/**
 * The last read of each (API key, grant) pair this process made. A call may decide on one of
 * these instead of reading again, because its audit row is then written only if what it decided
 * on still holds in the database (AuditLog.appendIf): nothing here is ever trusted alone, so
 * another server's revocation or refresh is seen by the very next call. A read stops being
 * offered when a `last_used_at` write falls due (the full path makes it).
 */
export class RecentGrantReads {
  readonly #reads = new LruMap<string, GrantRead>(CAPACITY);

  remember(read: GrantRead): void {
    this.#reads.set(entryKey(read.keyHash, read.grant.id), read);
  }

  /** The pair's last read, unless a last-used write is due for the key or the grant at `now`. */
  find(keyHash: string, grantId: string, now: number): GrantRead | undefined {
    const read = this.#reads.get(entryKey(keyHash, grantId));
    if (!read || isTouchDue(read.keyLastUsedAt, now) || isTouchDue(read.grant.lastUsedAt, now)) {
      return undefined;
    }
    return read;
  }

  forget(keyHash: string, grantId: string): void {
    this.#reads.delete(entryKey(keyHash, grantId));
  }
}

function entryKey(keyHash: string, grantId: string): string {
  return `${keyHash} ${grantId}`;
}
