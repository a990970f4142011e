import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { ProviderDirectory } from "../control/provider-directory.js";
import { VaultError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { OAuthClient } from "../oauth/oauth-client.js";
import type { GrantFilter, GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";
import type { CredentialStore } from "./credential-store.js";
import { providerForGrant } from "./grant-provider.js";

export type GrantStatus = "active" | "expired" | "revoked" | "reauth_required";

/** Listing, reading and revoking an app's grants. Another app's grant is as absent as a missing one. */
export class GrantService {
  constructor(
    private readonly deps: {
      store: Store;
      credentials: CredentialStore;
      providers: ProviderDirectory;
      oauth: OAuthClient;
      clock: Clock;
      logger: Logger;
      audit: AuditLog;
    },
  ) {}

  /** The status as callers see it: an active grant past its expiry is `expired`. */
  statusOf(grant: GrantRecord): GrantStatus {
    if (grant.status === "active" && grant.expiresAt !== null && grant.expiresAt <= this.deps.clock.now()) {
      return "expired";
    }
    return grant.status as GrantStatus;
  }

  get(appId: string, id: string): Promise<GrantRecord | null> {
    return this.deps.store.grants.get(appId, id);
  }

  /** One page, newest first; `nextCursor` is null on the last page. */
  async list(
    appId: string,
    filter: Omit<GrantFilter, "before">,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ grants: GrantRecord[]; nextCursor: string | null }> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await this.deps.store.grants.list(
      appId,
      { ...filter, before },
      limit + 1,
      this.deps.clock.now(),
    );
    const grants = page.slice(0, limit);
    const last = grants.at(-1);
    return { grants, nextCursor: page.length > limit && last ? encodeCursor(last) : null };
  }

  /**
   * Revokes a grant: status `revoked` with the reason, credentials deleted (in one transaction),
   * then the tokens revoked at the provider where it supports RFC 7009. Null when not found.
   * Ordered with refreshes by compare-and-set, not by a lock: see token-refresher.ts.
   */
  async revoke(
    appId: string,
    id: string,
    reason: string | null,
    apiKeyPrefix: string | null = null,
  ): Promise<GrantRecord | null> {
    const { store, credentials, clock } = this.deps;
    const grant = await store.grants.get(appId, id);
    if (!grant) return null;
    await this.deps.audit.append({
      appId,
      type: "grant.revoked",
      grantId: id,
      providerId: grant.providerId,
      apiKeyPrefix,
      reason: reason ?? "revoked by the app",
    });
    // The status first, then the credentials taken in the same statement that deletes them (F3):
    // a refresh storing new tokens at the same moment either lands before the delete (and its
    // tokens are taken here, then revoked at the provider) or finds the grant revoked and the row
    // gone, and revokes its own tokens. Revoking a revoked grant again changes nothing.
    const sealed = await store.transaction(async (tx) => {
      await tx.grants.setStatus(id, "revoked", reason ?? "revoked by the app", clock.now());
      return tx.credentials.take(id);
    });
    const tokens = sealed === null ? null : await credentials.open(id, sealed).catch(() => null);
    const found = tokens ? await providerForGrant(this.deps.providers, grant) : null;
    const provider = found && "provider" in found ? found.provider : null;
    if (provider && tokens) {
      // Revoking the refresh token ends the whole authorization at most providers; the access
      // token is revoked too for those that only track it.
      const revoked = await Promise.all([
        tokens.refreshToken ? this.deps.oauth.revoke(provider, tokens.refreshToken, "refresh_token") : false,
        this.deps.oauth.revoke(provider, tokens.accessToken, "access_token"),
      ]);
      this.deps.logger.info({ grantId: id, revokedAtProvider: revoked.some(Boolean) }, "grant revoked");
    }
    return store.grants.get(appId, id);
  }
}

/** Opaque to clients: base64url of `<created_at>.<id>`. */
function encodeCursor(grant: GrantRecord): string {
  return Buffer.from(`${grant.createdAt}.${grant.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [createdAt, id] = Buffer.from(cursor, "base64url").toString("utf8").split(".");
  const at = Number(createdAt);
  if (!Number.isSafeInteger(at) || !id || !/^grant_[0-9a-f]{24}$/.test(id))
    throw new VaultError("invalid_cursor");
  return { createdAt: at, id };
}
