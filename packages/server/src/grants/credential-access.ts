import type { ApiKeyService } from "../apps/api-keys.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { UserTokens } from "../identity/user-tokens.js";
import { isTouchDue, LAST_USED_RESOLUTION_MS } from "../last-used.js";
import type { Logger } from "../logger.js";
import type { ProviderRegistry } from "../providers/provider-registry.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import { targetRefusal } from "./api-host-policy.js";
import type { CredentialStore, TokenSet } from "./credential-store.js";
import {
  ReauthRequired,
  RefreshUnavailable,
  type TokenRefresher,
  type UsableTokens,
} from "./token-refresher.js";

export interface AccessRequest {
  method: string;
  url: string;
  reason?: string | undefined;
  context?: Record<string, unknown> | undefined;
  /** The signed-in user making the call: the grant must be theirs. */
  userToken?: string | undefined;
}

/** Who asks: the app and the display prefix of its API key (for the audit log). */
export interface AccessCaller {
  appId: string;
  keyPrefix: string;
}

export interface GrantedAccess {
  caller: AccessCaller;
  grant: GrantRecord;
  tokens: TokenSet;
  /** Non-null when the token was refreshed for this call: how many calls to the provider it took. */
  refresh: UsableTokens["refresh"];
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
      apiKeys: ApiKeyService;
      store: Store;
      providers: ProviderRegistry;
      refresher: TokenRefresher;
      credentials: CredentialStore;
      userTokens: UserTokens;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
    },
  ) {}

  /**
   * Checks everything — the API key as presented (together with the grant, in one query), the
   * target, the grant — refreshes if needed, and records the access in the audit log before any
   * credential is returned: if the audit row cannot be written, nothing is handed out. Refusals
   * after the key was accepted are recorded too, with their reason.
   */
  async grant(apiKey: string, grantId: string, request: AccessRequest): Promise<GrantedAccess> {
    const { auth, grant, sealedCredential } = await this.deps.apiKeys.authenticateWithGrant(apiKey, grantId);
    if (!auth.ok) throw new VaultError(auth.reason);
    const caller: AccessCaller = { appId: auth.appId, keyPrefix: auth.keyPrefix };
    const audited = {
      appId: caller.appId,
      grantId,
      apiKeyPrefix: caller.keyPrefix,
      reason: request.reason ?? null,
      context: request.context ?? null,
    };
    let access: GrantedAccess;
    try {
      access = await this.#check(caller, grant, sealedCredential, request);
    } catch (error) {
      if (error instanceof VaultError && error.code !== "grant_not_found") {
        await this.deps.audit
          .append({
            ...audited,
            type: "credential.refused",
            outcome: "refused",
            details: { code: error.code, ...target(request.url) },
          })
          .catch((auditError: unknown) => this.deps.logger.error({ err: auditError }, "audit append failed"));
        if (error.code === "grant_expired") await this.#recordExpiry(caller.appId, grantId);
      }
      throw error;
    }
    try {
      await this.deps.audit.append({
        ...audited,
        type: "credential.retrieved",
        providerId: access.grant.providerId,
        details: {
          method: request.method,
          ...target(request.url),
          ...(access.refresh ? { refresh_attempts: access.refresh.attempts } : {}),
        },
      });
    } catch (error) {
      // Fail closed: no audit row, no credential.
      throw new VaultError("audit_unavailable", { cause: error });
    }
    return access;
  }

  /**
   * A grant past its TTL gets one `grant.expired` event, when a use first finds it expired (the
   * expiry itself is a time, not an action; nothing happens at that moment to record).
   */
  async #recordExpiry(appId: string, grantId: string): Promise<void> {
    const { audit, logger } = this.deps;
    try {
      const recorded = await audit.list(appId, { type: "grant.expired", grantId }, 1);
      if (recorded.length === 0) await audit.append({ appId, grantId, type: "grant.expired" });
    } catch (error) {
      logger.error({ err: error }, "audit append failed");
    }
  }

  async #check(
    caller: AccessCaller,
    grant: GrantRecord | null,
    sealedCredential: string | null,
    request: AccessRequest,
  ): Promise<GrantedAccess> {
    const { store, providers, refresher, credentials, clock } = this.deps;
    if (!grant) throw new VaultError("grant_not_found");
    const { appId } = caller;
    const grantId = grant.id;
    if (request.userToken !== undefined) {
      // Another user's grant is as absent as one that does not exist.
      const subject = await this.deps.userTokens.subjectOf(appId, request.userToken);
      if (grant.userSubject !== subject) throw new VaultError("grant_not_found");
    }
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

    let usable: UsableTokens;
    try {
      const stored = sealedCredential === null ? null : await credentials.open(grant.id, sealedCredential);
      usable = await refresher.usableTokens(grant, provider, stored);
    } catch (error) {
      if (error instanceof ReauthRequired) {
        await this.deps.audit
          .append({
            appId,
            grantId,
            providerId: grant.providerId,
            type: "grant.reauth_required",
            reason: error.detail,
          })
          .catch((auditError: unknown) => this.deps.logger.error({ err: auditError }, "audit append failed"));
        throw new VaultError("reauth_required", { cause: error });
      }
      if (error instanceof RefreshUnavailable) throw new VaultError("refresh_unavailable", { cause: error });
      throw error;
    }
    const now = clock.now();
    if (isTouchDue(grant.lastUsedAt, now)) {
      await store.grants.touch(grant.id, now, LAST_USED_RESOLUTION_MS);
    }
    // Every catalog provider and every standard one takes a Bearer token (RFC 6750 §2.1).
    const { tokens, refresh } = usable;
    return { caller, grant, tokens, refresh, headers: { authorization: `Bearer ${tokens.accessToken}` } };
  }
}

/** Host and path of a URL for the audit log; never the query string (it may carry secrets). */
function target(url: string): { host?: string; path?: string } {
  if (!URL.canParse(url)) return {};
  const parsed = new URL(url);
  return { host: parsed.host, path: parsed.pathname };
}
