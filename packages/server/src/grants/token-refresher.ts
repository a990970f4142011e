import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { OAuthClient } from "../oauth/oauth-client.js";
import { RefreshFailure } from "../oauth/provider-failures.js";
import type { TokenSet } from "../oauth/token-set.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import type { CredentialStore } from "./credential-store.js";

/** Tokens this close to expiry are refreshed before being handed out. */
export const REFRESH_MARGIN_MS = 60_000;
/** Transient refresh failures (provider unreachable, 5xx) are retried this often, with backoff. */
const TRANSIENT_ATTEMPTS = 3;
const BACKOFF_MS = 200;

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
 * in memory within a process (concurrent callers share one refresh), and across processes by
 * the grant lock (PostgreSQL). After taking the lock it reads the tokens again: if another
 * process refreshed meanwhile, its result is used and the provider is not called.
 */
export class TokenRefresher {
  readonly #inFlight = new Map<string, Promise<UsableTokens>>();

  constructor(
    private readonly deps: {
      store: Store;
      credentials: CredentialStore;
      oauth: OAuthClient;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async usableTokens(
    grant: GrantRecord,
    provider: ResolvedProvider,
    /** The grant's tokens when the caller read them already (null: none stored). */
    stored?: TokenSet | null,
  ): Promise<UsableTokens> {
    const tokens = stored === undefined ? await this.deps.credentials.load(grant.id) : stored;
    if (!tokens) throw new ReauthRequired("no credentials stored");
    if (!this.#nearExpiry(tokens)) return { tokens, refresh: null };
    let pending = this.#inFlight.get(grant.id);
    if (!pending) {
      pending = this.#refresh(grant, provider).finally(() => this.#inFlight.delete(grant.id));
      this.#inFlight.set(grant.id, pending);
    }
    return pending;
  }

  /** True when the tokens can be used as they are: not within the refresh margin of expiry. */
  isFresh(tokens: TokenSet): boolean {
    return !this.#nearExpiry(tokens);
  }

  #nearExpiry(tokens: TokenSet): boolean {
    return tokens.expiresAt !== undefined && tokens.expiresAt - this.deps.clock.now() <= REFRESH_MARGIN_MS;
  }

  async #refresh(grant: GrantRecord, provider: ResolvedProvider): Promise<UsableTokens> {
    const { store, clock } = this.deps;
    const outcome = await store.withGrantLock(grant.id, (locked) =>
      this.#refreshLocked(grant, provider, locked),
    );
    if ("tokens" in outcome) return { tokens: outcome.tokens, refresh: { attempts: outcome.attempts } };
    // Recorded after the lock's transaction: a failed refresh must not roll the status back.
    await store.grants.setStatus(grant.id, "reauth_required", outcome.reauth, clock.now());
    throw new ReauthRequired(outcome.reauth);
  }

  async #refreshLocked(
    grant: GrantRecord,
    provider: ResolvedProvider,
    locked: Store,
  ): Promise<{ tokens: TokenSet; attempts: number } | { reauth: string }> {
    const { credentials, oauth, clock, logger } = this.deps;
    const current = await credentials.load(grant.id, locked);
    if (!current) return { reauth: "no credentials stored" };
    // Another process may have refreshed while we waited for the lock.
    if (!this.#nearExpiry(current)) return { tokens: current, attempts: 0 };
    if (!current.refreshToken) {
      // Nothing to refresh with: hand out what we have while it lasts (the provider decides).
      const expired = current.expiresAt !== undefined && current.expiresAt <= clock.now();
      return expired
        ? { reauth: "the access token expired and the provider issued no refresh token" }
        : { tokens: current, attempts: 0 };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const fresh = await oauth.refresh(provider, current);
        // The new access token and a rotated refresh token are stored together.
        await credentials.save(grant.id, fresh, locked);
        logger.info({ grantId: grant.id, attempts: attempt }, "token refreshed");
        return { tokens: fresh, attempts: attempt };
      } catch (error) {
        if (!(error instanceof RefreshFailure)) throw error;
        if (error.kind === "refused") {
          // A refused refresh after a race is not a revocation: look again before giving up.
          const reread = await credentials.load(grant.id, locked);
          if (reread && reread.accessToken !== current.accessToken && !this.#nearExpiry(reread)) {
            return { tokens: reread, attempts: attempt };
          }
          return { reauth: `the provider refused the refresh (${error.detail})` };
        }
        if (error.kind === "garbled" || attempt >= TRANSIENT_ATTEMPTS) {
          logger.warn({ grantId: grant.id, detail: error.detail }, "token refresh failed");
          throw new RefreshUnavailable(error.detail);
        }
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** (attempt - 1)));
      }
    }
  }
}
