import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { NO_METRICS, type RefreshOutcome, type VaultMetrics } from "../metrics/vault-metrics.js";
import type { OAuthClient } from "../oauth/oauth-client.js";
import { RefreshFailure } from "../oauth/provider-failures.js";
import type { TokenSet } from "../oauth/token-set.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import type { CredentialStore } from "./credential-store.js";
import { RefreshSlots } from "./refresh-slots.js";

/**
 * Tokens this close to expiry are refreshed before being handed out: a quarter of the token's
 * lifetime, at most a minute. A fixed minute would refresh a token that lives a minute or less on
 * every use; a share of its lifetime refreshes it once per lifetime.
 */
export const MAX_REFRESH_MARGIN_MS = 60_000;
const MARGIN_SHARE_OF_LIFETIME = 1 / 4;
/** Transient refresh failures (provider unreachable, 5xx) are retried this often, with backoff. */
const TRANSIENT_ATTEMPTS = 3;
const BACKOFF_MS = 200;
/**
 * How long a refresh lease lasts: longer than a refresh may take (every attempt's provider timeout
 * plus the backoff), so that a live holder never loses it; a dead holder's is taken over after it.
 */
const LEASE_MS = 45_000;
/** How often a process waiting on another's lease looks again for the refreshed tokens. */
const LEASE_POLL_MS = 50;
/** Refreshes one server process runs at once, unless configured. */
export const DEFAULT_MAX_CONCURRENT_REFRESHES = 8;

/** The refresh margin of these tokens (see {@link MAX_REFRESH_MARGIN_MS}). */
export function refreshMarginMs(tokens: TokenSet): number {
  return tokens.lifetimeMs === undefined
    ? MAX_REFRESH_MARGIN_MS
    : Math.min(MAX_REFRESH_MARGIN_MS, tokens.lifetimeMs * MARGIN_SHARE_OF_LIFETIME);
}

/** The grant's tokens cannot be used any more: the user must connect again. */
export class ReauthRequired extends Error {
  constructor(readonly detail: string) {
    super("the provider no longer accepts this grant's tokens");
    this.name = "ReauthRequired";
  }
}

/** The provider could not refresh the tokens right now; the grant is kept. */
export class RefreshUnavailable extends Error {
  constructor(readonly detail: string) {
    super("the provider could not refresh the token right now");
    this.name = "RefreshUnavailable";
  }
}

/** The grant was revoked while its tokens were read or refreshed: nothing may be handed out (F3). */
export class GrantRevokedMeanwhile extends Error {
  constructor() {
    super("the grant was revoked");
    this.name = "GrantRevokedMeanwhile";
  }
}

function refreshOutcomeOf(error: unknown): RefreshOutcome {
  if (error instanceof ReauthRequired) return "reauth_required";
  if (error instanceof RefreshUnavailable) return "unavailable";
  if (error instanceof GrantRevokedMeanwhile) return "revoked";
  return "error";
}

/**
 * Usable tokens, and what it took to get them: `refresh` is null when the stored tokens were fresh
 * enough; otherwise `attempts` counts this refresh's calls to the provider (0 when another caller
 * or server process had refreshed already). Callers report it as `retry_info`.
 */
export interface UsableTokens {
  tokens: TokenSet;
  refresh: { attempts: number } | null;
}

/**
 * Hands out usable tokens, refreshing them ahead of expiry — at most once per grant at a time:
 * in memory within a process (concurrent callers share one refresh), and across processes by a
 * refresh lease (refresh-leases-repository.ts). The lease is claimed and released with single
 * statements: no transaction, and so no pooled connection, is held while the provider answers
 * (F7). Holding it, the refresher reads the tokens again: if another process refreshed meanwhile,
 * its result is used and the provider is not called. The refreshed tokens are stored by
 * compare-and-set, only over the tokens the refresh started from and only while the grant is
 * active; when a revocation came first, what the provider just issued is revoked there too (F3).
 */
export class TokenRefresher {
  readonly #inFlight = new Map<string, Promise<UsableTokens>>();
  readonly #slots: RefreshSlots;

  constructor(
    private readonly deps: {
      store: Store;
      credentials: CredentialStore;
      oauth: OAuthClient;
      clock: Clock;
      logger: Logger;
      /** Refreshes this process runs at once (default {@link DEFAULT_MAX_CONCURRENT_REFRESHES}). */
      maxConcurrentRefreshes?: number;
      metrics?: VaultMetrics;
    },
  ) {
    this.#slots = new RefreshSlots(deps.maxConcurrentRefreshes ?? DEFAULT_MAX_CONCURRENT_REFRESHES);
  }

  async usableTokens(
    grant: GrantRecord,
    provider: ResolvedProvider,
    /** The grant's tokens when the caller read them already (null: none stored). */
    stored?: TokenSet | null,
  ): Promise<UsableTokens> {
    const tokens = stored === undefined ? await this.deps.credentials.load(grant.id) : stored;
    if (!tokens) throw await this.#noCredentials(grant.id);
    if (!this.#nearExpiry(tokens)) return { tokens, refresh: null };
    let pending = this.#inFlight.get(grant.id);
    if (!pending) {
      pending = this.#refresh(grant, provider)
        .then(
          (usable) => {
            this.#metrics.refresh("ok");
            return usable;
          },
          (error: unknown) => {
            this.#metrics.refresh(refreshOutcomeOf(error));
            throw error;
          },
        )
        .finally(() => this.#inFlight.delete(grant.id));
      this.#inFlight.set(grant.id, pending);
    }
    return pending;
  }

  /** True when the tokens can be used as they are: not within the refresh margin of expiry. */
  get #metrics(): VaultMetrics {
    return this.deps.metrics ?? NO_METRICS;
  }

  isFresh(tokens: TokenSet): boolean {
    return !this.#nearExpiry(tokens);
  }

  #nearExpiry(tokens: TokenSet): boolean {
    return (
      tokens.expiresAt !== undefined && tokens.expiresAt - this.deps.clock.now() <= refreshMarginMs(tokens)
    );
  }

  /**
   * Claims the grant's refresh lease and refreshes; while another process holds it, looks again
   * every {@link LEASE_POLL_MS} for the tokens it stores (or for the lease to come free).
   */
  async #refresh(grant: GrantRecord, provider: ResolvedProvider): Promise<UsableTokens> {
    const { store, clock } = this.deps;
    const holder = randomUUID();
    const giveUpAt = performance.now() + LEASE_MS + LEASE_POLL_MS * 10;
    for (;;) {
      const outcome = await this.#slots.run(async () => {
        const now = clock.now();
        if (!(await store.refreshLeases.claim(grant.id, holder, now, now + LEASE_MS))) return null;
        try {
          return await this.#refreshHoldingLease(grant, provider);
        } finally {
          await store.refreshLeases
            .release(grant.id, holder)
            // Left behind, it expires by itself; the refresh's outcome stands.
            .catch((error: unknown) => this.deps.logger.warn({ err: error }, "refresh lease not released"));
        }
      });
      if (outcome) return outcome;
      // Another process is refreshing: use its tokens as soon as they are stored.
      await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
      const current = await this.deps.credentials.load(grant.id);
      if (!current) throw await this.#noCredentials(grant.id);
      if (!this.#nearExpiry(current)) return { tokens: current, refresh: { attempts: 0 } };
      if (performance.now() > giveUpAt) {
        throw new RefreshUnavailable("another server process is still refreshing this grant's tokens");
      }
    }
  }

  async #refreshHoldingLease(grant: GrantRecord, provider: ResolvedProvider): Promise<UsableTokens> {
    const { store, credentials, oauth, clock, logger } = this.deps;
    // The previous holder may have found the grant revoked or refused: never call the provider
    // for a grant that is not active any more.
    const status = await store.grants.statusOf(grant.id);
    if (status === "revoked") throw new GrantRevokedMeanwhile();
    if (status !== "active") throw new ReauthRequired("the grant is not active");
    const read = await credentials.loadSealed(grant.id);
    if (!read) throw await this.#noCredentials(grant.id);
    const current = read.tokens;
    // Another process may have refreshed before we claimed the lease.
    if (!this.#nearExpiry(current)) return { tokens: current, refresh: { attempts: 0 } };
    if (!current.refreshToken) {
      // Nothing to refresh with: hand out what we have while it lasts (the provider decides).
      const expired = current.expiresAt !== undefined && current.expiresAt <= clock.now();
      if (expired)
        throw await this.#reauth(
          grant.id,
          "the access token expired and the provider issued no refresh token",
        );
      return { tokens: current, refresh: { attempts: 0 } };
    }
    for (let attempt = 1; ; attempt++) {
      let fresh: TokenSet;
      try {
        fresh = await oauth.refresh(provider, current);
      } catch (error) {
        if (!(error instanceof RefreshFailure)) throw error;
        if (error.kind === "refused") {
          // A refused refresh after a race is not a revocation: look again before giving up.
          const reread = await credentials.load(grant.id);
          if (reread && reread.accessToken !== current.accessToken && !this.#nearExpiry(reread)) {
            return { tokens: reread, refresh: { attempts: attempt } };
          }
          throw await this.#reauth(grant.id, `the provider refused the refresh (${error.detail})`);
        }
        if (error.kind === "garbled" || attempt >= TRANSIENT_ATTEMPTS) {
          logger.warn({ grantId: grant.id, detail: error.detail }, "token refresh failed");
          throw new RefreshUnavailable(error.detail);
        }
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 1)));
        continue;
      }
      // The new access token and a rotated refresh token are stored together, over exactly the
      // tokens this refresh started from, and only while the grant is active.
      if (await credentials.replaceIf(grant.id, read.sealed, fresh)) {
        logger.info({ grantId: grant.id, attempts: attempt }, "token refreshed");
        return { tokens: fresh, refresh: { attempts: attempt } };
      }
      return this.#lostRace(grant.id, provider, fresh, attempt);
    }
  }

  /**
   * The refreshed tokens could not be stored: the grant was revoked (or its credentials replaced)
   * while the provider answered. A revoked grant's new tokens are revoked at the provider, which
   * the revocation could not know of, and nothing is handed out (F3).
   */
  async #lostRace(
    grantId: string,
    provider: ResolvedProvider,
    fresh: TokenSet,
    attempts: number,
  ): Promise<UsableTokens> {
    const { store, credentials, oauth, logger } = this.deps;
    const status = await store.grants.statusOf(grantId);
    if (status !== "active") {
      const revoked = await Promise.all([
        fresh.refreshToken ? oauth.revoke(provider, fresh.refreshToken, "refresh_token") : false,
        oauth.revoke(provider, fresh.accessToken, "access_token"),
      ]).catch(() => [false]);
      logger.info(
        { grantId, revokedAtProvider: revoked.some(Boolean) },
        "refreshed tokens discarded: the grant was revoked meanwhile",
      );
      throw status === "revoked"
        ? new GrantRevokedMeanwhile()
        : new ReauthRequired("the grant is not active");
    }
    // Still active, with other tokens (a reconnect stored them): use those.
    const current = await credentials.load(grantId);
    if (current && !this.#nearExpiry(current)) return { tokens: current, refresh: { attempts } };
    throw new RefreshUnavailable("the grant's tokens changed while they were refreshed");
  }

  /** Marks the grant for re-authorization, unless it was revoked meanwhile (revoked is final). */
  async #reauth(grantId: string, detail: string): Promise<Error> {
    const { store, clock } = this.deps;
    if (await store.grants.setStatus(grantId, "reauth_required", detail, clock.now())) {
      return new ReauthRequired(detail);
    }
    return (await store.grants.statusOf(grantId)) === "revoked"
      ? new GrantRevokedMeanwhile()
      : new ReauthRequired(detail);
  }

  /** No tokens stored: a revocation deleted them, or the grant never had any. */
  async #noCredentials(grantId: string): Promise<Error> {
    return (await this.deps.store.grants.statusOf(grantId)) === "revoked"
      ? new GrantRevokedMeanwhile()
      : new ReauthRequired("no credentials stored");
  }
}
