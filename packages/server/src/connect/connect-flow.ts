import { createHash } from "node:crypto";
import * as oauth from "oauth4webapi";
import type { AuditEventInput, AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { CredentialStore } from "../grants/credential-store.js";
import { saveConnectedGrant } from "../grants/save-connected-grant.js";
import type { Logger } from "../logger.js";
import type { ProviderRegistry } from "../providers/provider-registry.js";
import type { ConnectSessionRecord } from "../storage/connect-sessions-repository.js";
import type { Store } from "../storage/store.js";
import { ConnectFailure } from "./connect-failure.js";
import type { ConnectSessionService } from "./connect-sessions.js";
import type { OAuthClient } from "./oauth-client.js";

/** What the user sees at the end of the flow. */
export type FlowOutcome =
  | { kind: "success"; providerName: string; accountIdentifier: string; session: ConnectSessionRecord }
  | { kind: "denied" | "error"; message: string; session: ConnectSessionRecord | null };

/** Why a Connect link cannot be used (any more). */
export type UnusableSession = "not_found" | "expired" | "finished";

/**
 * The browser side of headless connect: the Connect page starts OAuth with one provider, and the
 * provider's callback finishes it — exchange the code, find the account, store the grant and its
 * sealed tokens, and complete the session, all or nothing.
 */
export class ConnectFlow {
  constructor(
    private readonly deps: {
      store: Store;
      providers: ProviderRegistry;
      oauth: OAuthClient;
      sessions: ConnectSessionService;
      credentials: CredentialStore;
      clock: Clock;
      logger: Logger;
      audit: AuditLog;
      publicUrl: string;
    },
  ) {}

  /** The redirect URI registered at the provider: one per provider (a response cannot be replayed across them). */
  redirectUri(providerId: string): string {
    return `${this.deps.publicUrl}/v1/oauth/callback/${encodeURIComponent(providerId)}`;
  }

  /** The session behind a Connect link, if it can still be used. */
  async usableSession(token: string): Promise<ConnectSessionRecord | UnusableSession> {
    const session = await this.deps.sessions.findByToken(token);
    if (!session) return "not_found";
    const status = this.deps.sessions.statusOf(session);
    if (status === "expired") return "expired";
    return status === "pending" ? session : "finished";
  }

  /** Starts OAuth with `providerId` for the session: a fresh single-use state, PKCE and nonce. */
  async begin(session: ConnectSessionRecord, providerId: string): Promise<string> {
    const provider = this.deps.providers.get(providerId);
    if (!provider || !session.allowedProviders.includes(providerId)) {
      throw new ConnectFailure("provider_config", "That provider is not offered for this connection.");
    }
    const state = oauth.generateRandomState();
    const codeVerifier = provider.pkce ? oauth.generateRandomCodeVerifier() : null;
    const nonce = provider.kind === "oidc" ? oauth.generateRandomNonce() : null;
    const url = await this.deps.oauth.authorizationUrl(provider, {
      redirectUri: this.redirectUri(providerId),
      state,
      codeVerifier,
      nonce,
    });
    await this.deps.store.oauthStates.insert({
      stateHash: hashState(state),
      sessionId: session.id,
      providerId,
      codeVerifier,
      nonce,
      createdAt: this.deps.clock.now(),
      expiresAt: session.expiresAt,
    });
    return url;
  }

  /** The user pressed Cancel on the Connect page. */
  async cancel(session: ConnectSessionRecord): Promise<void> {
    await this.#end(session, new ConnectFailure("access_denied", "You cancelled the connection."));
  }

  /** Handles `/v1/oauth/callback/<providerId>`. Never throws: every path ends on a page. */
  async complete(providerId: string, callbackUrl: URL): Promise<FlowOutcome> {
    const provider = this.deps.providers.get(providerId);
    const stateParam = callbackUrl.searchParams.get("state");
    const state =
      provider && stateParam
        ? await this.deps.store.oauthStates.consume(hashState(stateParam), providerId)
        : null;
    if (!provider || !state) {
      // Unknown, replayed, or meant for another provider's callback: nothing to complete.
      this.deps.logger.warn({ providerId }, "OAuth callback with an unknown or used state refused");
      return {
        kind: "error",
        message: "This sign-in link is not valid or was already used. Start again from your app.",
        session: null,
      };
    }
    const session = await this.deps.store.connectSessions.getById(state.sessionId);
    if (!session || this.deps.sessions.statusOf(session) !== "pending") {
      return {
        kind: "error",
        message: "This connection request has expired or was already completed. Start again from your app.",
        session,
      };
    }

    try {
      const exchange = await this.deps.oauth.exchangeCode(provider, callbackUrl, {
        redirectUri: this.redirectUri(providerId),
        state: stateParam as string,
        codeVerifier: state.codeVerifier,
        nonce: state.nonce,
      });
      const saved = await this.#saveAndComplete(session, providerId, exchange);
      if (!saved) {
        return {
          kind: "error",
          message: "This connection request expired before it could be completed.",
          session,
        };
      }
      return {
        kind: "success",
        providerName: provider.displayName,
        accountIdentifier: exchange.accountIdentifier,
        session,
      };
    } catch (error) {
      const failure =
        error instanceof ConnectFailure
          ? error
          : new ConnectFailure("provider_error", "Something went wrong while connecting.", String(error));
      await this.#end(session, failure);
      return {
        kind: failure.code === "access_denied" ? "denied" : "error",
        message: failure.message,
        session,
      };
    }
  }

  async #saveAndComplete(
    session: ConnectSessionRecord,
    providerId: string,
    exchange: Awaited<ReturnType<OAuthClient["exchangeCode"]>>,
  ): Promise<boolean> {
    const { store, credentials, clock, sessions } = this.deps;
    // Two sessions connecting the same new account at once: the loser of the unique constraint
    // retries and re-authorizes the winner's grant.
    for (let attempt = 1; ; attempt++) {
      try {
        const finished = await store.transaction(async (tx) => {
          const { grant, reauthorized } = await saveConnectedGrant(tx, credentials, clock, {
            appId: session.appId,
            providerId,
            accountIdentifier: exchange.accountIdentifier,
            scopes: exchange.scopes,
            tokens: exchange.tokens,
            grantPolicy: session.grantPolicy,
          });
          const result = {
            grantId: grant.id,
            providerId,
            accountIdentifier: grant.accountIdentifier,
            scopes: grant.scopes,
            grantPolicy: grant.grantPolicy,
          };
          const done = await sessions.finish(session.id, { status: "completed", results: [result] }, tx);
          // Not pending any more (expired, or completed by a concurrent callback): keep nothing.
          if (!done) throw new SessionGone();
          return { grant, reauthorized };
        });
        await sessions.announce(session.id);
        await this.#record(session, {
          type: finished.reauthorized ? "grant.reauthorized" : "grant.created",
          grantId: finished.grant.id,
          providerId,
          details: {
            session_id: session.id,
            account_identifier: finished.grant.accountIdentifier,
            scopes: finished.grant.scopes,
          },
        });
        await this.#record(session, {
          type: "session.completed",
          grantId: finished.grant.id,
          providerId,
          details: { session_id: session.id },
        });
        return true;
      } catch (error) {
        if (error instanceof SessionGone) return false;
        if (attempt >= 2) throw error;
      }
    }
  }

  async #end(session: ConnectSessionRecord, failure: ConnectFailure): Promise<void> {
    this.deps.logger.info(
      { sessionId: session.id, errorCode: failure.code, detail: failure.detail },
      "connect session ended without a grant",
    );
    const ended = await this.deps.sessions.finish(session.id, {
      status: failure.sessionStatus,
      error: { code: failure.code, message: failure.message },
    });
    if (!ended) return;
    await this.deps.sessions.announce(session.id);
    await this.#record(session, {
      type: failure.sessionStatus === "denied" ? "session.denied" : "session.failed",
      outcome: failure.sessionStatus === "denied" ? "refused" : "error",
      reason: failure.message,
      details: { session_id: session.id, code: failure.code },
    });
  }

  /** Connect events are recorded after the fact; a failure to record is logged, the user's flow stands. */
  async #record(session: ConnectSessionRecord, event: Omit<AuditEventInput, "appId">): Promise<void> {
    await this.deps.audit
      .append({ appId: session.appId, ...event })
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "audit append failed"));
  }
}

class SessionGone extends Error {}

function hashState(state: string): string {
  return createHash("sha256").update(state, "utf8").digest("hex");
}
