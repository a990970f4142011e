import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Refresh leases (F7): who refreshes a grant's tokens, across every server process, until when.
 * Claiming and releasing are single statements (no transaction is held while the provider is
 * called); a lease whose holder died is taken over once it has expired.
 */
export class RefreshLeasesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Takes the grant's lease for `holder` until `expiresAt`, unless another holder has it and it
   * has not expired at `now`. One statement (an upsert whose update is conditional), so it is
   * atomic on SQLite and PostgreSQL alike: of two claimants only one sees a row written.
   */
  async claim(grantId: string, holder: string, now: number, expiresAt: number): Promise<boolean> {
    const result = await this.db
      .insertInto("refresh_leases")
      .values({ grant_id: grantId, holder, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column("grant_id")
          .doUpdateSet({ holder, expires_at: expiresAt })
          .where("refresh_leases.expires_at", "<=", now),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Gives the lease up, if `holder` still has it (an expired lease may have been taken over). */
  async release(grantId: string, holder: string): Promise<void> {
    await this.db
      .deleteFrom("refresh_leases")
      .where("grant_id", "=", grantId)
      .where("holder", "=", holder)
      .execute();
  }
}
