import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { ProviderRegistry } from "../providers/provider-registry.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import { targetRefusal } from "./api-host-policy.js";
import type { TokenSet } from "./credential-store.js";
import { ReauthRequired, RefreshUnavailable, type TokenRefresher } from "./token-refresher.js";

/** last_used_at is written at most once a minute per grant. */
const TOUCH_RESOLUTION_MS = 60_000;

export interface AccessRequest {
  method: string;
  url: string;
}

export interface GrantedAccess {
  grant: GrantRecord;
  tokens: TokenSet;
  /** The headers that carry the credential, as the provider wants them. */
  headers: Record<string, string>;
}

/**
 * The one gate every use of a grant passes: the target URL, the grant's status and expiry, a
 * fresh token. Used by retrieve mode (the SDK makes the call) and proxy mode (the vault does).
 */
export class CredentialAccess {
  constructor(
    private readonly deps: {
      store: Store;
      providers: ProviderRegistry;
      refresher: TokenRefresher;
      clock: Clock;
    },
  ) {}

  async grant(appId: string, grantId: string, request: AccessRequest): Promise<GrantedAccess> {
    const { store, providers, refresher, clock } = this.deps;
    const grant = await store.grants.get(appId, grantId);
    if (!grant) throw new VaultError("grant_not_found");
    const provider = providers.get(grant.providerId);
    if (!provider) {
      throw new VaultError("reauth_required", {
        message: `The provider ${grant.providerId} is no longer configured.`,
      });
    }
    const refusal = targetRefusal(request.url, provider.apiBaseUrls);
    if (refusal) throw new VaultError("host_not_allowed", { message: `Refused: ${refusal}.` });
    if (grant.status === "revoked") throw new VaultError("grant_revoked");
    if (grant.status === "reauth_required") throw new VaultError("reauth_required");
    // An expired grant is refused, and never refreshed.
    if (grant.expiresAt !== null && grant.expiresAt <= clock.now()) throw new VaultError("grant_expired");

    let tokens: TokenSet;
    try {
      tokens = await refresher.usableTokens(grant, provider);
    } catch (error) {
      if (error instanceof ReauthRequired) throw new VaultError("reauth_required", { cause: error });
      if (error instanceof RefreshUnavailable) throw new VaultError("refresh_unavailable", { cause: error });
      throw error;
    }
    await store.grants.touch(grant.id, clock.now(), TOUCH_RESOLUTION_MS);
    // Every catalog provider and every standard one takes a Bearer token (RFC 6750 §2.1).
    return { grant, tokens, headers: { authorization: `Bearer ${tokens.accessToken}` } };
  }
}
