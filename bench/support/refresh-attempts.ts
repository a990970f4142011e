import type { Store } from "../../packages/server/src/storage/store.js";

/**
 * Counts a vault's refresh attempts from outside, without touching the vault's code: the token
 * refresher is the only user of `store.withGrantLock()`, and calls it once per refresh it starts
 * (concurrent callers in the same process share that one). An attempt that finds, once it holds
 * the lock, that another process has refreshed meanwhile counts too; the provider is called only
 * by the attempts that still find the token near expiry. Wraps the method of this store instance.
 */
export function countRefreshAttempts(store: Store): () => number {
  let attempts = 0;
  const original = store.withGrantLock.bind(store);
  store.withGrantLock = <T>(grantId: string, work: (locked: Store) => Promise<T>): Promise<T> => {
    attempts++;
    return original(grantId, work);
  };
  return () => attempts;
}
