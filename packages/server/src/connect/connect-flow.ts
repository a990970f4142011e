import { createHash } from "node:crypto";
import type { ConnectDisplayMode, ErrorCode } from "@grantvault/protocol";
import * as oauth from "oauth4webapi";
import type { AuditEventInput, AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { ProviderDirectory } from "../control/provider-directory.js";
import type { KeyringHolder } from "../crypto/keyring-holder.js";
import { VaultError } from "../errors.js";
import type { CredentialStore } from "../grants/credential-store.js";
import { saveConnectedGrant } from "../grants/save-connected-grant.js";
import { SIGN_IN_CALLBACK_PATH, SIGN_IN_STATE_PROVIDER } from "../identity/sign-in-callback.js";
import type { UserTokens } from "../identity/user-tokens.js";
import type { Logger } from "../logger.js";
import { ConnectFailure } from "../oauth/connect-failure.js";
import type { CodeExchange, OAuthClient } from "../oauth/oauth-client.js";
import { bindProvider } from "../providers/bind-provider.js";
import { type ConnectionParams, connectionParamsProblems } from "../providers/connection-parameters.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { ConnectSessionRecord } from "../storage/connect-sessions-repository.js";
import { bindingOf, USER_TOKEN_FIELD } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";
import { type BrowserBinding, bindingMatches, newBrowserBinding } from "./browser-binding.js";
import type { ConnectSessionService } from "./connect-sessions.js";

/**
 * How many OAuth flows one session may have started and not finished (F12). Starting another
 * forgets the oldest: a user who went back and pressed the button again is never refused, and one
 * session token cannot fill the table.
 */
export const MAX_LIVE_FLOWS_PER_SESSION = 5;

/**
 * What the user sees at the end of the flow, and how the page was opened (`display`). `code` names
 * an error of the registry whose status and heading the page takes (a refusal that is not the
 * provider's answer). `stateUsed`: the flow's state was taken, so its browser binding can go.
 */
export type FlowOutcome = (
  | { kind: "success"; providerName: string; accountIdentifier: string; session: ConnectSessionRecord }
  | { kind: "denied" | "error"; message: string; session: ConnectSessionRecord | null; code?: ErrorCode }
) & { display: ConnectDisplayMode | null; stateUsed: boolean };

/** A started flow: where to send the browser, and the binding it must keep until the callback. */
export interface FlowStart {
  authorizeUrl: string;
  binding: BrowserBinding;
  /** When the binding is of no more use (the session's expiry), epoch ms. */
  expiresAt: number;
}

/** Which callback a provider's answer came to: a connect provider's, or the sign-in one. */
export type CallbackTarget = { kind: "connect"; providerId: string } | { kind: "auth" };

/** Why a Connect link cannot be used (any more). */
export type UnusableSession = "not_found" | "expired" | "finished" | "app_disabled";

/**
 * The browser side of headless connect: the Connect page starts OAuth with one provider, and the
 * provider's callback finishes it — exchange the code, find the account, store the grant and its
 * sealed tokens, and complete the session, all or nothing.
 */
export class ConnectFlow {
  constructor(
    private readonly deps: {
      store: Store;
      providers: ProviderDirectory;
      oauth: OAuthClient;
      sessions: ConnectSessionService;
      credentials: CredentialStore;
      clock: Clock;
      logger: Logger;
      audit: AuditLog;
      userTokens: UserTokens;
      keys: KeyringHolder;
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
    if (status !== "pending") return "finished";
    return (await this.#appDisabled(session.appId)) ? "app_disabled" : session;
  }

  /** A disabled app's pending sessions complete no more than its keys are accepted. */
  async #appDisabled(appId: string): Promise<boolean> {
    const app = await this.deps.store.apps.get(appId);
    return app === null || (app.disabledAt ?? null) !== null;
  }

  /**
   * Starts OAuth for the session — with `providerId` for a connect session, with the app's identity
   * provider for a sign-in session: a fresh single-use state, PKCE and nonce, bound to the browser
   * that asked (the caller hands it `binding`). An identity provider that cannot be reached is
   * `identity_unavailable`.
   */
  async begin(
    session: ConnectSessionRecord,
    providerId: string | null,
    display: ConnectDisplayMode | null = null,
    typedParams: Record<string, unknown> = {},
  ): Promise<FlowStart> {
    const target = await this.#target(session, providerId, { typed: typedParams });
    const state = oauth.generateRandomState();
    const codeVerifier = target.provider.pkce ? oauth.generateRandomCodeVerifier() : null;
    const nonce = target.provider.kind === "oidc" ? oauth.generateRandomNonce() : null;
    const authorizeUrl = await this.deps.oauth
      .authorizationUrl(target.provider, {
        redirectUri: target.redirectUri,
        state,
        codeVerifier,
        nonce,
        scopes: target.scopes,
      })
      .catch((error: unknown) => {
        if (session.kind === "auth" && error instanceof ConnectFailure && error.unreachable) {
          throw new VaultError("identity_unavailable", { cause: error });
        }
        throw error;
      });
    const binding = newBrowserBinding(state);
    await this.deps.store.transaction(async (tx) => {
      // Room for the new one among the session's newest (F12).
      await tx.oauthStates.keepNewest(session.id, MAX_LIVE_FLOWS_PER_SESSION - 1);
      await tx.oauthStates.insert({
        stateHash: hashState(state),
        sessionId: session.id,
        providerId: target.stateProvider,
        codeVerifier,
        nonce,
        display,
        browserBindingHash: binding.hash,
        createdAt: this.deps.clock.now(),
        expiresAt: session.expiresAt,
        connectionParams: target.provider.connectionParams ?? null,
      });
    });
    return { authorizeUrl, binding, expiresAt: session.expiresAt };
  }

  /** The providers the session's page offers: the allowed ones, or the app's identity provider. */
  async offeredProviders(session: ConnectSessionRecord): Promise<ResolvedProvider[]> {
    if (session.kind === "auth") {
      const identity = await this.deps.userTokens.identityOf(session.appId).catch(() => null);
      return identity ? [identity.provider] : [];
    }
    const providers = await this.deps.providers.forApp(session.appId);
    return session.allowedProviders.flatMap((id) => {
      const provider = providers.get(id);
      return provider ? [provider] : [];
    });
  }

  /** Who the session's OAuth goes to, where it comes back, and what it asks for. */
  async #target(
    session: ConnectSessionRecord,
    providerId: string | null,
    params: { typed: Record<string, unknown> } | { stored: ConnectionParams | null },
  ): Promise<{ provider: ResolvedProvider; redirectUri: string; stateProvider: string; scopes?: string[] }> {
    if (session.kind === "auth") {
      const identity = await this.deps.userTokens.identityOf(session.appId).catch(() => {
        throw new ConnectFailure("provider_config", "This app has no identity provider any more.");
      });
      return {
        provider: identity.provider,
        redirectUri: `${this.deps.publicUrl}${SIGN_IN_CALLBACK_PATH}`,
        stateProvider: SIGN_IN_STATE_PROVIDER,
      };
    }
    const template = providerId
      ? (await this.deps.providers.forApp(session.appId)).get(providerId)
      : undefined;
    if (!template || !providerId || !session.allowedProviders.includes(providerId)) {
      throw new ConnectFailure("provider_config", "That provider is not offered for this connection.");
    }
    const values = "stored" in params ? params.stored : flowParams(session, template, params.typed);
    const problems = connectionParamsProblems(template.parameters, values ?? {});
    if (problems.length > 0) throw new ConnectionParamsRefused(providerId, problems);
    const provider = bindProvider(template, values);
    const scopes = session.requiredScopes?.[providerId];
    return {
      provider,
      redirectUri: this.redirectUri(providerId),
      stateProvider: providerId,
      ...(scopes ? { scopes } : {}),
    };
  }

  /** The user pressed Cancel on the Connect page. */
  async cancel(
    session: ConnectSessionRecord,
    display: ConnectDisplayMode | null = null,
  ): Promise<FlowOutcome> {
    const failure = new ConnectFailure("access_denied", "You cancelled the connection.");
    await this.#end(session, failure);
    return {
      kind: "denied",
      message: `${failure.message} Nothing was connected.`,
      session: (await this.deps.store.connectSessions.getById(session.id)) ?? session,
      display,
      stateUsed: false,
    };
  }

  /**
   * Handles a provider's answer at its callback. `browserSecret` is the binding the callback's
   * browser holds for this state (its cookie), if any: a state is used only with the secret of
   * the browser that started it (F2). Never throws: every path ends on a page.
   */
  async complete(
    callback: CallbackTarget,
    callbackUrl: URL,
    browserSecret: string | undefined,
  ): Promise<FlowOutcome> {
    const stateProvider = callback.kind === "auth" ? SIGN_IN_STATE_PROVIDER : callback.providerId;
    const stateParam = callbackUrl.searchParams.get("state");
    const stateHash = stateParam ? hashState(stateParam) : null;
    const found = stateHash ? await this.deps.store.oauthStates.find(stateHash, stateProvider) : null;
    if (found && !bindingMatches(browserSecret, found.browserBindingHash)) {
      return this.#refuseOtherBrowser(found.sessionId, stateProvider, browserSecret !== undefined);
    }
    // Taken only now, with the binding checked: of concurrent callbacks one gets it.
    const state =
      found && stateHash ? await this.deps.store.oauthStates.consume(stateHash, stateProvider) : null;
    const session = state ? await this.deps.store.connectSessions.getById(state.sessionId) : null;
    if (!state || !session) {
      // Unknown, replayed, or meant for another provider's callback: nothing to complete.
      this.deps.logger.warn(
        { callback: stateProvider },
        "OAuth callback with an unknown or used state refused",
      );
      return {
        kind: "error",
        message: "This sign-in link is not valid or was already used. Start again from your app.",
        session: null,
        display: null,
        stateUsed: state !== null,
      };
    }
    const display = (state.display as ConnectDisplayMode | null) ?? null;
    if (this.deps.sessions.statusOf(session) !== "pending") {
      return {
        kind: "error",
        message: "This connection request has expired or was already completed. Start again from your app.",
        session,
        display,
        stateUsed: true,
      };
    }
    if (await this.#appDisabled(session.appId)) {
      return {
        kind: "error",
        message: "This app has been disabled by the vault's operator; nothing was connected.",
        session,
        display,
        stateUsed: true,
      };
    }

    try {
      const target = await this.#target(session, callback.kind === "auth" ? null : callback.providerId, {
        stored: state.connectionParams ?? null,
      }).catch((error: unknown) => {
        // The provider's parameters changed while the user was away: the flow cannot finish.
        if (error instanceof ConnectionParamsRefused) {
          throw new ConnectFailure("provider_config", "This provider's settings changed; start again.");
        }
        throw error;
      });
      const exchange = await this.deps.oauth.exchangeCode(target.provider, callbackUrl, {
        redirectUri: target.redirectUri,
        state: stateParam as string,
        codeVerifier: state.codeVerifier,
        nonce: state.nonce,
        scopes: target.scopes,
      });
      const saved =
        session.kind === "auth"
          ? await this.#completeSignIn(session, exchange)
          : await this.#saveAndComplete(
              session,
              target.stateProvider,
              exchange,
              target.provider.connectionParams ?? null,
            );
      if (!saved) {
        return {
          kind: "error",
          message: "This connection request expired before it could be completed.",
          session,
          display,
          stateUsed: true,
        };
      }
      return {
        kind: "success",
        providerName: target.provider.displayName,
        accountIdentifier: exchange.accountIdentifier,
        session: (await this.deps.store.connectSessions.getById(session.id)) ?? session,
        display,
        stateUsed: true,
      };
    } catch (error) {
      const failure =
        error instanceof ConnectFailure
          ? error
          : new ConnectFailure("provider_error", "Something went wrong while connecting.", String(error));
      await this.#end(session, failure);
      // The app's identity provider is down: sign-in is unavailable (503), not refused.
      const identityDown = session.kind === "auth" && failure.unreachable;
      return {
        kind: failure.code === "access_denied" ? "denied" : "error",
        message: identityDown
          ? `${failure.message} Sign-in is unavailable for now; try again shortly from your app.`
          : failure.message,
        session: (await this.deps.store.connectSessions.getById(session.id)) ?? session,
        display,
        stateUsed: true,
        ...(identityDown ? { code: "identity_unavailable" as const } : {}),
      };
    }
  }

  /**
   * A callback for a live state from a browser without its binding (F2): someone sent the
   * provider's authorize URL of their own flow to another person. Nothing is completed and the
   * state stays, so the browser that started the flow can still finish it; the attempt is audited.
   */
  async #refuseOtherBrowser(
    sessionId: string,
    stateProvider: string,
    hadCookie: boolean,
  ): Promise<FlowOutcome> {
    const session = await this.deps.store.connectSessions.getById(sessionId);
    this.deps.logger.warn(
      { sessionId, callback: stateProvider, cookie: hadCookie ? "different" : "missing" },
      "OAuth callback from a browser that did not start the flow refused",
    );
    if (session) {
      await this.#record(session, {
        type: "session.browser_mismatch",
        outcome: "refused",
        providerId: session.kind === "auth" ? null : stateProvider,
        reason: "The callback came from a browser that did not start the flow.",
        details: { session_id: session.id, kind: session.kind, cookie: hadCookie ? "different" : "missing" },
      });
    }
    const what = session?.kind === "auth" ? "sign-in" : "connection";
    return {
      kind: "error",
      code: "flow_browser_mismatch",
      message:
        `This ${what} was started in another browser, so it cannot be finished here and nothing was ` +
        `${session?.kind === "auth" ? "signed in" : "connected"}. If you did not start it, close this page. ` +
        "Otherwise start again from your app, in this browser.",
      // No redirect to the session's app and no report to its widget: this browser is not its user's.
      session: null,
      display: null,
      stateUsed: false,
    };
  }

  /** A sign-in ends with the user's claims and their ID token, sealed, for the app to collect. */
  async #completeSignIn(session: ConnectSessionRecord, exchange: CodeExchange): Promise<boolean> {
    const idToken = exchange.tokens.idToken;
    if (!idToken) throw new ConnectFailure("provider_error", "The identity provider sent no ID token.");
    const keyring = await this.deps.keys.current();
    const sealedUserToken = keyring.seal(idToken, bindingOf(USER_TOKEN_FIELD, session.id));
    const done = await this.deps.sessions.finish(session.id, {
      status: "completed",
      userInfo: exchange.claims ?? { sub: exchange.accountIdentifier },
      sealedUserToken,
    });
    if (!done) return false;
    await this.deps.sessions.announce(session.id);
    await this.#record(session, {
      type: "session.completed",
      details: { session_id: session.id, kind: "auth", user_subject: exchange.claims?.sub ?? null },
    });
    return true;
  }

  async #saveAndComplete(
    session: ConnectSessionRecord,
    providerId: string,
    exchange: CodeExchange,
    connectionParams: ConnectionParams | null,
  ): Promise<boolean> {
    const { store, credentials, clock, sessions } = this.deps;
    // Two sessions connecting the same new account (same owner) at once: the loser of the unique
    // index on live grants retries and re-authorizes the winner's grant.
    for (let attempt = 1; ; attempt++) {
      try {
        const finished = await store.transaction(async (tx) => {
          const { grant, reauthorized } = await saveConnectedGrant(tx, credentials, clock, {
            appId: session.appId,
            providerId,
            accountIdentifier: exchange.accountIdentifier,
            accountSubject: exchange.accountSubject,
            connectionParams,
            scopes: exchange.scopes,
            tokens: exchange.tokens,
            grantPolicy: session.grantPolicy,
            userSubject: session.userSubject,
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
            ...(connectionParams ? { connection_params: connectionParams } : {}),
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

/**
 * The connection parameters of a flow about to start: the session's (the app's) for the provider,
 * completed with what the user typed on the Connect page for the provider's other parameters (a
 * typed value never replaces the app's, and typed names the provider lacks are dropped).
 */
function flowParams(
  session: ConnectSessionRecord,
  provider: ResolvedProvider,
  typed: Record<string, unknown>,
): ConnectionParams | null {
  const given = session.connectionParams?.[provider.id] ?? {};
  const values: Record<string, unknown> = { ...given };
  for (const parameter of provider.parameters) {
    const value = typed[parameter.name];
    if (!(parameter.name in given) && value !== undefined && value !== "") values[parameter.name] = value;
  }
  return Object.keys(values).length > 0 ? (values as ConnectionParams) : null;
}

/**
 * The values a flow would start with do not fit the provider's parameters (missing, unknown, or
 * refused): the Connect page asks again, with each problem next to its field.
 */
export class ConnectionParamsRefused extends Error {
  constructor(
    readonly providerId: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`connection parameters refused for ${providerId}`);
  }
}

function hashState(state: string): string {
  return createHash("sha256").update(state, "utf8").digest("hex");
}
