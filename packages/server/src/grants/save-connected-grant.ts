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
  /** The account's label at the provider (an email, a login): shown, may change. */
  accountIdentifier: string;
  /** The provider's permanent id of the account: what the grant is keyed by (F1). */
  accountSubject: string;
  scopes: string[];
  tokens: TokenSet;
  grantPolicy: GrantPolicyRecord | null;
  /** The signed-in user who connected it (the session's user token), or null. */
  userSubject: string | null;
  /** The per-connection parameters (a tenant) the provider's URLs were filled with, or null. */
  connectionParams?: Record<string, string> | null;
}

/**
 * Creates the grant for a newly connected account, or re-authorizes the app's live grant of the
 * same provider account *and* the same owner (same grant id, fresh tokens, scopes, expiry and
 * label). Run it inside a transaction (`store` is the transaction's), together with completing
 * the session.
 *
 * F1: a grant is the account's by its permanent subject, never by its label, which another
 * account may share (an unverified email, a recycled login). So another subject never takes over
 * a grant; a grant never moves to another user (another user's connect of the same account makes
 * that user a grant of their own); and a revoked grant stays revoked (a reconnect makes a new one).
 * A grant made before subjects were recorded is matched by its label, once: its first reconnect
 * records the subject, and from then on only that subject finds it.
 *
 * Per-connection parameters (issue 15): an account subject means something only within its
 * tenant (user 42 of tenant acme is not user 42 of tenant globex), so the stored subject is
 * qualified by the connection's values. Reconnecting the same account of the same tenant
 * re-authorizes its grant; the same subject under other values is another account, with a grant
 * of its own (and the first grant is left as it is).
 */
export async function saveConnectedGrant(
  store: Store,
  credentials: CredentialStore,
  clock: Clock,
  account: ConnectedAccount,
): Promise<{ grant: GrantRecord; reauthorized: boolean }> {
  const now = clock.now();
  const expiresAt = grantExpiry(account.grantPolicy, now);
  const { appId, providerId, userSubject } = account;
  const connectionParams = account.connectionParams ?? null;
  const accountSubject = qualifiedSubject(account.accountSubject, connectionParams);
  const existing =
    (await store.grants.findLiveBySubject(appId, providerId, accountSubject, userSubject)) ??
    // Grants from before subjects were recorded had no parameters either.
    (connectionParams
      ? null
      : await store.grants.findLegacyByLabel(appId, providerId, account.accountIdentifier, userSubject));
  if (existing) {
    const changes = {
      accountIdentifier: account.accountIdentifier,
      accountSubject,
      scopes: account.scopes,
      expiresAt,
      grantPolicy: account.grantPolicy,
      updatedAt: now,
    };
    // False only when a revocation got in first: then this connect makes a new grant.
    if (await store.grants.reauthorize(existing.id, changes)) {
      const grant: GrantRecord = { ...existing, ...changes, status: "active", statusReason: null };
      await credentials.save(grant.id, account.tokens, store);
      return { grant, reauthorized: true };
    }
  }
  const grant: GrantRecord = {
    id: newId("grant"),
    appId,
    providerId,
    accountIdentifier: account.accountIdentifier,
    accountSubject,
    scopes: account.scopes,
    status: "active",
    expiresAt,
    lastUsedAt: null,
    createdAt: now,
    updatedAt: now,
    grantPolicy: account.grantPolicy,
    statusReason: null,
    userSubject,
    ...(connectionParams ? { connectionParams } : {}),
  };
  await store.grants.insert(grant);
  await credentials.save(grant.id, account.tokens, store);
  return { grant, reauthorized: false };
}

/**
 * The subject a grant is keyed by: the account's, qualified by the connection's values when it
 * has some (sorted, so the same values always give the same key). Values are of a safe charset
 * (no `&`, `=` or space), so the qualifier cannot be forged by another set of values.
 */
export function qualifiedSubject(subject: string, params: Record<string, string> | null): string {
  if (!params || Object.keys(params).length === 0) return subject;
  const qualifier = Object.keys(params)
    .sort()
    .map((name) => `${name}=${params[name]}`)
    .join("&");
  return `${subject} (${qualifier})`;
}

/** The grant ends after the policy's default TTL, else its maximum, else never. */
export function grantExpiry(policy: GrantPolicyRecord | null, now: number): number | null {
  const seconds = policy?.defaultTtlSeconds ?? policy?.maxTtlSeconds;
  return seconds === undefined ? null : now + seconds * 1000;
}
