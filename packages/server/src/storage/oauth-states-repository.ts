import type { Kysely, Selectable } from "kysely";
import type { Database, OAuthStatesTable } from "./schema.js";

export interface OAuthStateRecord {
  stateHash: string;
  sessionId: string;
  providerId: string;
  codeVerifier: string | null;
  nonce: string | null;
  /** How the Connect page was opened (`popup`, `redirect`), or null. */
  display: string | null;
  /** SHA-256 of the browser binding cookie (F2); null for states stored before it existed. */
  browserBindingHash: string | null;
  createdAt: number;
  expiresAt: number;
  /** The per-connection parameters the flow was started with (its provider's URLs), or null. */
  connectionParams?: Record<string, string> | null;
}

export class OAuthStatesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(state: OAuthStateRecord): Promise<void> {
    await this.db
      .insertInto("oauth_states")
      .values({
        state_hash: state.stateHash,
        session_id: state.sessionId,
        provider_id: state.providerId,
        code_verifier: state.codeVerifier,
        nonce: state.nonce,
        display: state.display,
        browser_binding_hash: state.browserBindingHash,
        created_at: state.createdAt,
        expires_at: state.expiresAt,
        connection_params: state.connectionParams ? JSON.stringify(state.connectionParams) : null,
      })
      .execute();
  }

  /**
   * The state for `providerId`, left in place: the callback checks the browser binding before it
   * takes the state, so a callback from the wrong browser cannot burn the right browser's flow.
   */
  async find(stateHash: string, providerId: string): Promise<OAuthStateRecord | null> {
    const row = await this.db
      .selectFrom("oauth_states")
      .selectAll()
      .where("state_hash", "=", stateHash)
      .where("provider_id", "=", providerId)
      .executeTakeFirst();
    return row ? recordOf(row) : null;
  }

  /**
   * Takes the state for `providerId` out of the table and returns it: a state is single use, and
   * of two concurrent callbacks with the same state only one gets it. A state presented at another
   * provider's callback is not taken (so a misdirected request cannot burn the real one).
   */
  async consume(stateHash: string, providerId: string): Promise<OAuthStateRecord | null> {
    const row = await this.db
      .deleteFrom("oauth_states")
      .where("state_hash", "=", stateHash)
      .where("provider_id", "=", providerId)
      .returningAll()
      .executeTakeFirst();
    return row ? recordOf(row) : null;
  }

  /**
   * Keeps only the `keep` newest states of a session and deletes the rest (F12: one session token
   * cannot fill the table through the Connect page's start). `keep` ≥ 1. Returns how many were deleted.
   */
  async keepNewest(sessionId: string, keep: number): Promise<number> {
    const newest = this.db
      .selectFrom("oauth_states")
      .select("state_hash")
      .where("session_id", "=", sessionId)
      .orderBy("created_at", "desc")
      .orderBy("state_hash", "desc")
      .limit(keep);
    const result = await this.db
      .deleteFrom("oauth_states")
      .where("session_id", "=", sessionId)
      // A subquery of the same table in NOT IN: SQLite and PostgreSQL allow it (MySQL would not).
      .where("state_hash", "not in", newest)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Removes states past their expiry; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom("oauth_states").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function recordOf(row: Selectable<OAuthStatesTable>): OAuthStateRecord {
  return {
    stateHash: row.state_hash,
    sessionId: row.session_id,
    providerId: row.provider_id,
    codeVerifier: row.code_verifier,
    nonce: row.nonce,
    display: row.display,
    browserBindingHash: row.browser_binding_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    connectionParams: row.connection_params
      ? (JSON.parse(row.connection_params) as Record<string, string>)
      : null,
  };
}
