import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import type { TokenSet } from "../oauth/token-set.js";
import type { GrantPolicyRecord } from "../storage/connect-sessions-repository.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import type { CredentialStore } from "./credential-store.js";

export interface ConnectedAccount {
  appId: string;
  providerId: string;
  accountIdentifier: string;
  scopes: string[];
  tokens: TokenSet;
  grantPolicy: GrantPolicyRecord | null;
  /** The signed-in user who connected it (the session's user token), or null. */
  userSubject: string | null;
}

/**
 * Creates the grant for a newly connected account, or re-authorizes the app's existing grant for
 * the same provider account (same grant id, fresh tokens, scopes, status and expiry). Run it
 * inside a transaction (`store` is the transaction's), together with completing the session.
 */
export async function saveConnectedGrant(
  store: Store,
  credentials: CredentialStore,
  clock: Clock,
  account: ConnectedAccount,
): Promise<{ grant: GrantRecord; reauthorized: boolean }> {
  const now = clock.now();
  const expiresAt = grantExpiry(account.grantPolicy, now);
  const existing = await store.grants.findByAccount(
    account.appId,
    account.providerId,
    account.accountIdentifier,
  );
  let grant: GrantRecord;
  if (existing) {
    grant = {
      ...existing,
      scopes: account.scopes,
      status: "active",
      expiresAt,
      grantPolicy: account.grantPolicy,
      statusReason: null,
      updatedAt: now,
      // Whoever just proved control of the account at the provider holds the grant now.
      userSubject: account.userSubject ?? existing.userSubject,
    };
    await store.grants.reauthorize(existing.id, grant);
  } else {
    grant = {
      id: newId("grant"),
      appId: account.appId,
      providerId: account.providerId,
      accountIdentifier: account.accountIdentifier,
      scopes: account.scopes,
      status: "active",
      expiresAt,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
      grantPolicy: account.grantPolicy,
      statusReason: null,
      userSubject: account.userSubject,
    };
    await store.grants.insert(grant);
  }
  await credentials.save(grant.id, account.tokens, store);
  return { grant, reauthorized: existing !== null };
}

/** The grant ends after the policy's default TTL, else its maximum, else never. */
export function grantExpiry(policy: GrantPolicyRecord | null, now: number): number | null {
  const seconds = policy?.defaultTtlSeconds ?? policy?.maxTtlSeconds;
  return seconds === undefined ? null : now + seconds * 1000;
}
