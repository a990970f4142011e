import type { Store } from "../../packages/server/src/storage/store.js";

/**
 * Counts a vault's refresh attempts from outside, without touching the vault's code: the token
 * refresher claims the grant's refresh lease (`store.refreshLeases.claim()`) once per refresh it
 * starts (concurrent callers in the same process share that one); only successful claims count,
 * since a process waiting on another's lease polls the claim. An attempt that finds, once it holds
 * the lease, that another process has refreshed meanwhile counts too; the provider is called only
 * by the attempts that still find the token near expiry. Wraps the method of this store instance.
 */
export function countRefreshAttempts(store: Store): () => number {
  let attempts = 0;
  const leases = store.refreshLeases;
  const original = leases.claim.bind(leases);
  leases.claim = async (...args) => {
    const claimed = await original(...args);
    if (claimed) attempts++;
    return claimed;
  };
  return () => attempts;
}
