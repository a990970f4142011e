import { type ApiKeyScope, GRANT_USE_SCOPES } from "@grantvault/protocol";
import { type ApiKeyService, keyHashOf } from "../apps/api-keys.js";
import type { AuditEventInput, AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { ProviderDirectory } from "../control/provider-directory.js";
import { VaultError } from "../errors.js";
import { isTouchDue, LAST_USED_RESOLUTION_MS } from "../last-used.js";
import type { Logger } from "../logger.js";
import { NO_METRICS, timedGrantUse, type VaultMetrics } from "../metrics/vault-metrics.js";
import type { TokenSet } from "../oauth/token-set.js";
import { UserBinding } from "../policy/user-binding.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import { targetRefusal } from "./api-host-policy.js";
import type { CredentialStore } from "./credential-store.js";
import { RecentGrantReads } from "./recent-grant-reads.js";
import {
  GrantRevokedMeanwhile,
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
  /**
   * The signed-in user making the call: the grant must be theirs. A grant bound to a user needs
   * it (see UserBinding).
   */
  userToken?: string | undefined;
}

/**
 * How the token is used: `retrieve` hands it to the caller (the SDK makes the call, so whoever
 * holds the API key can read the token), `proxy` keeps it in the vault, which makes the call.
 */
export type AccessMode = "retrieve" | "proxy";

/** Who asks: the app, the display prefix of its API key (for the audit log) and its scopes. */
export interface AccessCaller {
  appId: string;
  keyPrefix: string;
  scopes: readonly ApiKeyScope[];
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
  readonly #recentReads = new RecentGrantReads();

  constructor(
    private readonly deps: {
      apiKeys: ApiKeyService;
      store: Store;
      providers: ProviderDirectory;
      refresher: TokenRefresher;
      credentials: CredentialStore;
      userBinding: UserBinding;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      metrics?: VaultMetrics;
    },
  ) {}

  /**
   * Checks everything — the API key as presented (together with the grant, in one query), the
   * target, the grant — refreshes if needed, and records the access in the audit log before any
   * credential is returned: if the audit row cannot be written, nothing is handed out. Refusals
   * after the key was accepted are recorded too, with their reason.
   *
   * A repeated call may skip the read: see {@link CredentialAccess.#grantFromRecentRead}.
   */
  grant(apiKey: string, grantId: string, request: AccessRequest, mode: AccessMode): Promise<GrantedAccess> {
    // A proxied use ends with the provider's answer: ProxyCall times and records it.
    if (mode === "proxy") return this.#grant(apiKey, grantId, request, mode);
    return timedGrantUse(this.deps.metrics ?? NO_METRICS, mode, () =>
      this.#grant(apiKey, grantId, request, mode),
    );
  }

  async #grant(
    apiKey: string,
    grantId: string,
    request: AccessRequest,
    mode: AccessMode,
  ): Promise<GrantedAccess> {
    const keyHash = keyHashOf(apiKey);
    const fast = keyHash === null ? null : await this.#grantFromRecentRead(keyHash, grantId, request, mode);
    if (fast) return fast;
    const read = await this.deps.apiKeys.authenticateWithGrant(keyHash, grantId);
    const { auth, grant, sealedCredential } = read;
    if (!auth.ok) throw new VaultError(auth.reason);
    const caller: AccessCaller = { appId: auth.appId, keyPrefix: auth.keyPrefix, scopes: auth.scopes };
    let access: GrantedAccess;
    try {
      // F5: a proxy-only key never sees a token; it may still use the grant through the vault.
      // Refused whether or not the grant exists: a key learns nothing beyond its scopes.
      if (!mayUse(caller.scopes, mode)) {
        throw new VaultError("insufficient_scope", { message: scopeRefusal(mode, caller.scopes) });
      }
      access = await this.#check(caller, grant, sealedCredential, request);
    } catch (error) {
      if (error instanceof VaultError && error.code !== "grant_not_found" && grant) {
        await this.deps.audit
          .append({
            ...audited(caller, grantId, request),
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
      await this.deps.audit.append(retrieved(access, request));
    } catch (error) {
      // Fail closed: no audit row, no credential.
      throw new VaultError("audit_unavailable", { cause: error });
    }
    if (
      keyHash !== null &&
      sealedCredential !== null &&
      !access.refresh &&
      UserBinding.isOpen(access.grant, request.userToken)
    ) {
      this.#recentReads.remember({
        keyHash,
        appId: caller.appId,
        keyPrefix: caller.keyPrefix,
        keyScopes: caller.scopes,
        keyExpiresAt: auth.expiresAt,
        keyLastUsedAt: read.keyLastUsedAt,
        grant: access.grant,
        sealedCredential,
      });
    }
    return access;
  }

  /**
   * The same checks on what an earlier call of this process read of the key and the grant, with
   * no read of its own: the audit row is written only if that read still holds in the database
   * (the key unrevoked, the grant active with the same expiry, user and sealed credential),
   * checked in the INSERT itself — one statement instead of two. Null, with nothing written,
   * whenever anything would go differently: no such read, a check that refuses, a token to
   * refresh, a last-used write due, a user token or a user-bound grant to check (F6: that may
   * read the app's setting), or a read no longer true; and while the app's audit chain is busy
   * writing. The caller then takes the full path, which reads afresh and refuses, refreshes or
   * records as usual.
   */
  async #grantFromRecentRead(
    keyHash: string,
    grantId: string,
    request: AccessRequest,
    mode: AccessMode,
  ): Promise<GrantedAccess | null> {
    if (request.userToken !== undefined) return null;
    const read = this.#recentReads.find(keyHash, grantId, this.deps.clock.now());
    // Under concurrent calls the full path's appends share statements; a conditional one is alone.
    if (!read || this.deps.audit.isBusy(read.appId)) return null;
    // The read's scopes and expiry are checked again in the INSERT (a key may change meanwhile).
    if (!mayUse(read.keyScopes, mode)) return null;
    if (read.keyExpiresAt !== null && read.keyExpiresAt <= this.deps.clock.now()) return null;
    const { grant, sealedCredential } = read;
    if (!UserBinding.isOpen(grant, request.userToken)) return null;
    if ("refusal" in (await this.#judge(grant, request.url))) return null;
    // A value the key ring can no longer open (a key rotated away) is the full path's to report.
    const tokens = await this.deps.credentials.open(grant.id, sealedCredential).catch(() => null);
    if (!tokens || !this.deps.refresher.isFresh(tokens)) return null;
    const access: GrantedAccess = {
      caller: { appId: read.appId, keyPrefix: read.keyPrefix, scopes: read.keyScopes },
      grant,
      tokens,
      refresh: null,
      headers: credentialHeaders(tokens),
    };
    let written: boolean;
    try {
      written = await this.deps.audit.appendIf(retrieved(access, request), {
        keyHash,
        keyScopes: read.keyScopes.join(" "),
        keyExpiresAt: read.keyExpiresAt,
        appId: read.appId,
        grantId,
        providerId: grant.providerId,
        expiresAt: grant.expiresAt,
        userSubject: grant.userSubject,
        sealedCredential,
      });
    } catch (error) {
      throw new VaultError("audit_unavailable", { cause: error });
    }
    if (written) return access;
    this.#recentReads.forget(keyHash, grantId);
    return null;
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
    const { store, refresher, credentials, clock } = this.deps;
    if (!grant) throw new VaultError("grant_not_found");
    const { appId } = caller;
    const grantId = grant.id;
    await this.deps.userBinding.check(appId, grant, request.userToken);
    const verdict = await this.#judge(grant, request.url);
    if ("refusal" in verdict) throw verdict.refusal;
    const { provider } = verdict;

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
      if (error instanceof GrantRevokedMeanwhile) throw new VaultError("grant_revoked", { cause: error });
      throw error;
    }
    if (usable.refresh) {
      // F3: the grant was judged before the refresh, which takes a provider call; a revocation
      // may have returned meanwhile. Look again before anything is handed out.
      const status = await store.grants.statusOf(grant.id);
      if (status !== "active")
        throw new VaultError(status === "revoked" ? "grant_revoked" : "reauth_required");
    }
    const now = clock.now();
    if (isTouchDue(grant.lastUsedAt, now)) {
      await store.grants.touch(grant.id, now, LAST_USED_RESOLUTION_MS);
    }
    const { tokens, refresh } = usable;
    return { caller, grant, tokens, refresh, headers: credentialHeaders(tokens) };
  }

  /** The checks that need nothing but the grant as read: its provider, the target, status and expiry. */
  async #judge(
    grant: GrantRecord,
    url: string,
  ): Promise<{ provider: ResolvedProvider } | { refusal: VaultError }> {
    const providers = await this.deps.providers.forApp(grant.appId);
    const provider = providers.get(grant.providerId);
    if (!provider && providers.isDisabled(grant.providerId)) {
      return { refusal: new VaultError("provider_disabled") };
    }
    if (!provider) {
      return {
        refusal: new VaultError("reauth_required", {
          message: `The provider ${grant.providerId} is no longer configured.`,
        }),
      };
    }
    const refusal = targetRefusal(url, provider.apiBaseUrls);
    if (refusal) return { refusal: new VaultError("host_not_allowed", { message: `Refused: ${refusal}.` }) };
    if (grant.status === "revoked") return { refusal: new VaultError("grant_revoked") };
    if (grant.status === "reauth_required") return { refusal: new VaultError("reauth_required") };
    // An expired grant is refused, and never refreshed.
    if (grant.expiresAt !== null && grant.expiresAt <= this.deps.clock.now()) {
      return { refusal: new VaultError("grant_expired") };
    }
    return { provider };
  }
}

/** Whether a key with `scopes` may use a grant in `mode` (GRANT_USE_SCOPES, the route table's). */
function mayUse(scopes: readonly ApiKeyScope[], mode: AccessMode): boolean {
  return GRANT_USE_SCOPES[mode].some((scope) => scopes.includes(scope));
}

function scopeRefusal(mode: AccessMode, has: readonly ApiKeyScope[]): string {
  const needed = GRANT_USE_SCOPES[mode].map((scope) => `\`${scope}\``).join(" or ");
  const what = mode === "retrieve" ? "Retrieving a grant's token" : "Using a grant through the vault";
  return `${what} needs the ${needed} scope; this key has ${has.length > 0 ? has.join(", ") : "no scopes"}.${mode === "retrieve" && has.includes("proxy") ? " Use proxy mode (vault.proxyRequest), where the vault makes the call." : ""}`;
}

/** Every catalog provider and every standard one takes a Bearer token (RFC 6750 §2.1). */
function credentialHeaders(tokens: TokenSet): Record<string, string> {
  return { authorization: `Bearer ${tokens.accessToken}` };
}

/** What every audit row of a call records about who asked and why. */
function audited(caller: AccessCaller, grantId: string, request: AccessRequest) {
  return {
    appId: caller.appId,
    grantId,
    apiKeyPrefix: caller.keyPrefix,
    reason: request.reason ?? null,
    context: request.context ?? null,
  };
}

/** The `credential.retrieved` row of a granted call. */
function retrieved(access: GrantedAccess, request: AccessRequest): AuditEventInput {
  return {
    ...audited(access.caller, access.grant.id, request),
    type: "credential.retrieved",
    providerId: access.grant.providerId,
    details: {
      method: request.method,
      ...target(request.url),
      ...(access.refresh ? { refresh_attempts: access.refresh.attempts } : {}),
    },
  };
}

/** Host and path of a URL for the audit log; never the query string (it may carry secrets). */
function target(url: string): { host?: string; path?: string } {
  if (!URL.canParse(url)) return {};
  const parsed = new URL(url);
  return { host: parsed.host, path: parsed.pathname };
}
