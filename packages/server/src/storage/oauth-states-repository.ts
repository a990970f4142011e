import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface OAuthStateRecord {
  stateHash: string;
  sessionId: string;
  providerId: string;
  codeVerifier: string | null;
  nonce: string | null;
  /** How the Connect page was opened (`popup`, `redirect`), or null. */
  display: string | null;
  createdAt: number;
  expiresAt: number;
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
        created_at: state.createdAt,
        expires_at: state.expiresAt,
      })
      .execute();
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
    return row
      ? {
          stateHash: row.state_hash,
          sessionId: row.session_id,
          providerId: row.provider_id,
          codeVerifier: row.code_verifier,
          nonce: row.nonce,
          display: row.display,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
        }
      : null;
  }

  /** Removes states past their expiry; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom("oauth_states").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
