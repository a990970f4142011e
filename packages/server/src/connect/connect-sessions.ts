import { createHash, randomBytes, randomInt } from "node:crypto";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { AppProviders, ProviderDirectory } from "../control/provider-directory.js";
import { VaultError } from "../errors.js";
import type { UserTokens } from "../identity/user-tokens.js";
import { NO_METRICS, type VaultMetrics } from "../metrics/vault-metrics.js";
import { connectionParamsProblems } from "../providers/connection-parameters.js";
import type {
  ConnectSessionRecord,
  GrantPolicyRecord,
  SessionOutcome,
} from "../storage/connect-sessions-repository.js";
import type { Store } from "../storage/store.js";
import { HeldPolls } from "./held-polls.js";
import type { SessionEvents } from "./session-events.js";

/** A connect session lives this long: enough to sign in, short enough that a leaked link goes stale. */
export const SESSION_TTL_MS = 10 * 60 * 1000; // 10 minutes
/** Session tokens are bearer secrets in the Connect URL; recognisable when leaked. */
export const SESSION_TOKEN_PREFIX = "gvcs_";
/** No 0/O, 1/I/L: the code is read from one screen and compared with another. */
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export type SessionStatus = ConnectSessionRecord["status"] | "expired";

export interface CreateSessionInput {
  allowedProviders?: string[] | undefined;
  grantPolicy?: GrantPolicyRecord | undefined;
  returnUrl?: string | undefined;
  allowedOrigin?: string | undefined;
  requiredScopes?: Record<string, string[]> | undefined;
  metadata?: Record<string, string> | undefined;
  userToken?: string | undefined;
  /** Provider id → its per-connection parameters (the rest are asked for on the Connect page). */
  connectionParams?: Record<string, Record<string, string>> | undefined;
}

/** Connect sessions: created by an app, completed once by the OAuth callback, watched by long-polls. */
export class ConnectSessionService {
  /** Aborted when the server shuts down: held long-polls answer at once instead of delaying it. */
  readonly #shutdown = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly providers: ProviderDirectory,
    private readonly events: SessionEvents,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly userTokens: UserTokens,
    private readonly heldPolls: HeldPolls = new HeldPolls(),
    private readonly metrics: VaultMetrics = NO_METRICS,
  ) {}

  /**
   * A session to connect a provider account. Web options are checked against what the operator
   * allowed for the app: the return URL's origin and the widget's origin must be among the app's
   * allowed origins, required scopes must narrow the configured ones, and a user token must be a
   * valid token of the app's identity provider (the grant will belong to that user).
   */
  async create(
    appId: string,
    input: CreateSessionInput,
    apiKeyPrefix: string | null = null,
  ): Promise<{ session: ConnectSessionRecord; token: string }> {
    const providers = await this.providers.forApp(appId);
    const configured = providers.ids();
    if (configured.length === 0) throw new VaultError("no_providers_configured");
    const allowed = input.allowedProviders ?? configured;
    const unknown = allowed.filter((id) => !configured.includes(id));
    if (unknown.length > 0) {
      throw new VaultError("unknown_provider", {
        message: `Unknown provider(s): ${unknown.join(", ")}. Configured: ${configured.join(", ")}.`,
        issues: unknown.map((id) => ({ path: "allowed_providers", message: `${id} is not configured` })),
      });
    }
    await this.#checkOrigins(appId, input);
    this.#checkScopes(providers, allowed, input.requiredScopes);
    checkConnectionParams(providers, allowed, input.connectionParams);
    const userSubject = input.userToken ? await this.userTokens.subjectOf(appId, input.userToken) : null;
    return this.#insert(
      appId,
      {
        kind: "connect",
        allowedProviders: [...new Set(allowed)],
        grantPolicy: input.grantPolicy ?? null,
        allowedOrigin: input.allowedOrigin ?? null,
        returnUrl: input.returnUrl ?? null,
        requiredScopes: input.requiredScopes ?? null,
        metadata: input.metadata ?? null,
        userSubject,
        connectionParams: input.connectionParams ?? null,
      },
      apiKeyPrefix,
    );
  }

  /** A session to sign in at the app's identity provider (`authenticate()`). */
  async createSignIn(
    appId: string,
    apiKeyPrefix: string | null = null,
  ): Promise<{ session: ConnectSessionRecord; token: string }> {
    await this.userTokens.identityOf(appId);
    return this.#insert(
      appId,
      {
        kind: "auth",
        allowedProviders: [],
        grantPolicy: null,
        allowedOrigin: null,
        returnUrl: null,
        requiredScopes: null,
        metadata: null,
        userSubject: null,
        connectionParams: null,
      },
      apiKeyPrefix,
    );
  }

  async #insert(
    appId: string,
    options: Pick<
      ConnectSessionRecord,
      | "kind"
      | "allowedProviders"
      | "grantPolicy"
      | "allowedOrigin"
      | "returnUrl"
      | "requiredScopes"
      | "metadata"
      | "userSubject"
      | "connectionParams"
    >,
    apiKeyPrefix: string | null,
  ): Promise<{ session: ConnectSessionRecord; token: string }> {
    const now = this.clock.now();
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
    const session: ConnectSessionRecord = {
      id: `cs_${randomBytes(12).toString("hex")}`,
      appId,
      confirmationCode: confirmationCode(),
      status: "pending",
      results: null,
      userInfo: null,
      error: null,
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
      updatedAt: now,
      ...options,
    };
    await this.store.connectSessions.insert(session, hashSessionToken(token));
    await this.audit.append({
      appId,
      type: "session.created",
      apiKeyPrefix,
      details: {
        session_id: session.id,
        kind: session.kind,
        allowed_providers: session.allowedProviders,
        ...(session.metadata ? { metadata: session.metadata } : {}),
        ...(session.userSubject ? { user_subject: session.userSubject } : {}),
        ...(session.connectionParams ? { connection_params: session.connectionParams } : {}),
      },
    });
    return { session, token };
  }

  /** No open redirect, no message to a stranger: both origins must be allowed for the app. */
  async #checkOrigins(appId: string, input: CreateSessionInput): Promise<void> {
    const wanted = [
      ...(input.returnUrl ? [{ path: "return_url", origin: new URL(input.returnUrl).origin }] : []),
      ...(input.allowedOrigin ? [{ path: "allowed_origin", origin: input.allowedOrigin }] : []),
    ];
    if (wanted.length === 0) return;
    const allowedOrigins = (await this.store.apps.get(appId))?.allowedOrigins ?? [];
    const refused = wanted.filter(({ origin }) => !allowedOrigins.includes(origin));
    if (refused.length > 0) {
      throw new VaultError("origin_not_allowed", {
        issues: refused.map(({ path, origin }) => ({
          path,
          message: `${origin} is not allowed for this app`,
        })),
      });
    }
  }

  #checkScopes(
    providers: AppProviders,
    allowed: string[],
    required: Record<string, string[]> | undefined,
  ): void {
    const issues: { path: string; message: string }[] = [];
    for (const [providerId, scopes] of Object.entries(required ?? {})) {
      const provider = providers.get(providerId);
      if (!provider || !allowed.includes(providerId)) {
        issues.push({
          path: `required_scopes.${providerId}`,
          message: "is not one of the session's providers",
        });
        continue;
      }
      const extra = scopes.filter((scope) => !provider.scopes.includes(scope));
      if (extra.length > 0) {
        issues.push({
          path: `required_scopes.${providerId}`,
          message: `${extra.join(", ")} not among the configured scopes (${provider.scopes.join(" ")})`,
        });
      }
    }
    if (issues.length > 0) throw new VaultError("scope_not_allowed", { issues });
  }

  statusOf(session: ConnectSessionRecord): SessionStatus {
    return session.status === "pending" && this.clock.now() >= session.expiresAt ? "expired" : session.status;
  }

  get(appId: string, id: string): Promise<ConnectSessionRecord | null> {
    return this.store.connectSessions.get(appId, id);
  }

  /** The session a Connect URL token opens, whatever its state (pages explain expired ones). */
  findByToken(token: string): Promise<ConnectSessionRecord | null> {
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return Promise.resolve(null);
    return this.store.connectSessions.findByTokenHash(hashSessionToken(token));
  }

  /**
   * Long-poll: answers at once unless the session is pending, else when it changes, expires, or
   * `waitMs` passes, the client goes away (`clientGone`), or the server shuts down. Over the
   * held-poll caps (F14) it answers at once too, with the session as it is.
   */
  async wait(
    appId: string,
    id: string,
    waitMs: number,
    clientGone?: AbortSignal,
  ): Promise<ConnectSessionRecord | null> {
    const initial = await this.get(appId, id);
    if (!initial || waitMs <= 0 || this.statusOf(initial) !== "pending") return initial;
    const release = this.heldPolls.tryHold(id);
    if (!release) return initial;
    const subscription = this.events.subscribe(id);
    // Plain listeners, removed when the wait ends (F13): `AbortSignal.any` on every read left an
    // entry on the long-lived shutdown signal that was never freed.
    const signals = clientGone ? [this.#shutdown.signal, clientGone] : [this.#shutdown.signal];
    let stopWaiting = () => {};
    try {
      // Read again after subscribing: a change between the first read and the subscription is not lost.
      const current = await this.get(appId, id);
      if (!current || this.statusOf(current) !== "pending") return current;
      const until = Math.min(waitMs, current.expiresAt - this.clock.now());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => stopWaiting(), Math.max(0, until));
        stopWaiting = () => {
          clearTimeout(timer);
          for (const signal of signals) signal.removeEventListener("abort", stopWaiting);
          resolve();
        };
        void subscription.changed.then(() => stopWaiting());
        for (const signal of signals) signal.addEventListener("abort", stopWaiting, { once: true });
        if (signals.some((signal) => signal.aborted)) stopWaiting();
      });
      return await this.get(appId, id);
    } finally {
      stopWaiting();
      subscription.cancel();
      release();
    }
  }

  /** Answers every held long-poll now (with the session as it is): the server is shutting down. */
  shutdown(): void {
    this.#shutdown.abort();
  }

  /** Ends a pending session once, then wakes its waiters (in every process). */
  async finish(sessionId: string, outcome: SessionOutcome, store: Store = this.store): Promise<boolean> {
    const ended = await store.connectSessions.finish(sessionId, outcome, this.clock.now());
    // Counted once, by whoever ended it. (An expiry is the passing of time, not an event: the
    // sessions that expired are not counted here.)
    if (ended) this.metrics.sessionEnded(outcome.status);
    return ended;
  }

  /** Call after the transaction that finished the session has committed. */
  announce(sessionId: string): Promise<void> {
    return this.events.publish(sessionId);
  }
}

/**
 * A session's connection parameters: only for its providers, only the parameters each declares,
 * each value valid for it (pattern and safe charset). A provider may be given some of its
 * parameters: the Connect page asks for the others. Every problem is an issue.
 */
function checkConnectionParams(
  providers: AppProviders,
  allowed: string[],
  given: Record<string, Record<string, string>> | undefined,
): void {
  const issues: { path: string; message: string }[] = [];
  for (const [providerId, values] of Object.entries(given ?? {})) {
    const provider = providers.get(providerId);
    if (!provider || !allowed.includes(providerId)) {
      issues.push({
        path: `connection_params.${providerId}`,
        message: "is not one of the session's providers",
      });
      continue;
    }
    // Only the parameters given are checked for a value: the page asks for the missing ones.
    for (const problem of connectionParamsProblems(provider.parameters, values)) {
      if (problem.message === "is required" && !(problem.path in values)) continue;
      issues.push({ path: `connection_params.${providerId}.${problem.path}`, message: problem.message });
    }
  }
  if (issues.length > 0) throw new VaultError("invalid_request", { issues });
}

export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

function confirmationCode(): string {
  const pick = () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  const part = () => Array.from({ length: 4 }, pick).join("");
  return `${part()}-${part()}`;
}
