import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export type StoredSessionStatus = "pending" | "completed" | "denied" | "failed";

export interface ConnectSessionRecord {
  id: string;
  appId: string;
  confirmationCode: string;
  status: StoredSessionStatus;
  allowedProviders: string[];
  grantPolicy: GrantPolicyRecord | null;
  results: ConnectResultRecord[] | null;
  /** A completed sign-in session: the user's claims (the ID token itself is sealed apart). */
  userInfo: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
  /** `connect`: connect a provider account; `auth`: sign in at the app's identity provider. */
  kind: SessionKind;
  allowedOrigin: string | null;
  returnUrl: string | null;
  /** Provider id → the scopes to ask for instead of the configured ones. */
  requiredScopes: Record<string, string[]> | null;
  metadata: Record<string, string> | null;
  /** The signed-in user the resulting grant belongs to. */
  userSubject: string | null;
  /** Provider id → the per-connection parameters the app gave (a tenant); others the page asks for. */
  connectionParams?: Record<string, Record<string, string>> | null;
}

export type SessionKind = "connect" | "auth";

export interface GrantPolicyRecord {
  maxTtlSeconds?: number;
  defaultTtlSeconds?: number;
}

export interface ConnectResultRecord {
  grantId: string;
  providerId: string;
  accountIdentifier: string;
  scopes: string[];
  grantPolicy: GrantPolicyRecord | null;
}

export type SessionOutcome =
  | { status: "completed"; results: ConnectResultRecord[] }
  | { status: "completed"; userInfo: Record<string, unknown>; sealedUserToken: string }
  | { status: "denied" | "failed"; error: { code: string; message: string } };

export class ConnectSessionsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(session: ConnectSessionRecord, tokenHash: string): Promise<void> {
    await this.db
      .insertInto("connect_sessions")
      .values({
        id: session.id,
        app_id: session.appId,
        token_hash: tokenHash,
        confirmation_code: session.confirmationCode,
        status: session.status,
        allowed_providers: JSON.stringify(session.allowedProviders),
        grant_policy: session.grantPolicy ? JSON.stringify(session.grantPolicy) : null,
        results: null,
        error_code: null,
        error_message: null,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        updated_at: session.updatedAt,
        kind: session.kind,
        allowed_origin: session.allowedOrigin,
        return_url: session.returnUrl,
        required_scopes: session.requiredScopes ? JSON.stringify(session.requiredScopes) : null,
        metadata: session.metadata ? JSON.stringify(session.metadata) : null,
        user_subject: session.userSubject,
        user_token: null,
        connection_params: session.connectionParams ? JSON.stringify(session.connectionParams) : null,
      })
      .execute();
  }

  /** The session of `appId` with this id; another app's session does not exist for the caller. */
  async get(appId: string, id: string): Promise<ConnectSessionRecord | null> {
    const row = await this.db
      .selectFrom("connect_sessions")
      .selectAll()
      .where("app_id", "=", appId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async getById(id: string): Promise<ConnectSessionRecord | null> {
    const row = await this.db
      .selectFrom("connect_sessions")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  /** The sealed ID token of a completed sign-in session of `appId`, or null. */
  async sealedUserToken(appId: string, id: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("connect_sessions")
      .select("user_token")
      .where("app_id", "=", appId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row?.user_token ?? null;
  }

  async findByTokenHash(tokenHash: string): Promise<ConnectSessionRecord | null> {
    const row = await this.db
      .selectFrom("connect_sessions")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  /** Hands over a sign-in's sealed ID token once (F12): it is not kept after pickup. */
  async dropUserToken(appId: string, id: string): Promise<void> {
    await this.db
      .updateTable("connect_sessions")
      .set({ user_token: null })
      .where("app_id", "=", appId)
      .where("id", "=", id)
      .execute();
  }

  /** Drops the sealed ID tokens of sessions past their expiry, picked up or not; returns how many. */
  async dropExpiredUserTokens(now: number): Promise<number> {
    const result = await this.db
      .updateTable("connect_sessions")
      .set({ user_token: null })
      .where("user_token", "is not", null)
      .where("expires_at", "<=", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Deletes sessions that expired at or before `cutoff`, finished or not (their OAuth states go
   * with them); returns how many.
   */
  async deleteExpiredBefore(cutoff: number): Promise<number> {
    await this.db
      .deleteFrom("oauth_states")
      .where("session_id", "in", (query) =>
        query.selectFrom("connect_sessions").select("id").where("expires_at", "<=", cutoff),
      )
      .execute();
    const result = await this.db
      .deleteFrom("connect_sessions")
      .where("expires_at", "<=", cutoff)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Ends a pending, unexpired session with `outcome`. False when it had already ended or expired:
   * a session completes once.
   */
  async finish(id: string, outcome: SessionOutcome, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable("connect_sessions")
      .set({
        status: outcome.status,
        results:
          outcome.status !== "completed"
            ? null
            : JSON.stringify("results" in outcome ? outcome.results : outcome.userInfo),
        error_code: outcome.status === "completed" ? null : outcome.error.code,
        error_message: outcome.status === "completed" ? null : outcome.error.message,
        user_token: "sealedUserToken" in outcome ? outcome.sealedUserToken : null,
        updated_at: at,
      })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .where("expires_at", ">", at)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function toSession(row: Database["connect_sessions"]): ConnectSessionRecord {
  return {
    id: row.id,
    appId: row.app_id,
    confirmationCode: row.confirmation_code,
    status: row.status as StoredSessionStatus,
    allowedProviders: JSON.parse(row.allowed_providers) as string[],
    grantPolicy: row.grant_policy ? (JSON.parse(row.grant_policy) as GrantPolicyRecord) : null,
    results: row.results && row.kind !== "auth" ? (JSON.parse(row.results) as ConnectResultRecord[]) : null,
    userInfo:
      row.results && row.kind === "auth" ? (JSON.parse(row.results) as Record<string, unknown>) : null,
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? "" } : null,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    updatedAt: row.updated_at,
    kind: row.kind as SessionKind,
    allowedOrigin: row.allowed_origin,
    returnUrl: row.return_url,
    requiredScopes: row.required_scopes
      ? (JSON.parse(row.required_scopes) as Record<string, string[]>)
      : null,
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : null,
    userSubject: row.user_subject,
    connectionParams: row.connection_params
      ? (JSON.parse(row.connection_params) as Record<string, Record<string, string>>)
      : null,
  };
}
