import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Sealed credentials by grant. This layer stores ciphertext only; sealing happens above it. */
export class CredentialsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async put(grantId: string, sealed: string, at: number): Promise<void> {
    await this.db
      .insertInto("credentials")
      .values({ grant_id: grantId, secret: sealed, updated_at: at })
      .onConflict((oc) => oc.column("grant_id").doUpdateSet({ secret: sealed, updated_at: at }))
      .execute();
  }

  /**
   * Compare-and-set (F3, F7): replaces the sealed value only if it is still `expected` (the one the
   * refresh started from) and the grant is still active. False when either changed meanwhile: a
   * revocation (status changed, row deleted) or another writer (a reconnect) came first.
   */
  async replaceIf(grantId: string, expected: string, sealed: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable("credentials")
      .set({ secret: sealed, updated_at: at })
      .where("grant_id", "=", grantId)
      .where("secret", "=", expected)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("grants")
            .select("grants.id")
            .where("grants.id", "=", grantId)
            .where("grants.status", "=", "active"),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async get(grantId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("credentials")
      .select("secret")
      .where("grant_id", "=", grantId)
      .executeTakeFirst();
    return row?.secret ?? null;
  }

  async delete(grantId: string): Promise<void> {
    await this.db.deleteFrom("credentials").where("grant_id", "=", grantId).execute();
  }

  /**
   * Deletes the grant's credentials and returns what was deleted, in one statement: a refresh that
   * stored new tokens just before is either seen here (and its tokens revoked by the caller) or
   * finds the row gone and its compare-and-set fails (F3).
   */
  async take(grantId: string): Promise<string | null> {
    const row = await this.db
      .deleteFrom("credentials")
      .where("grant_id", "=", grantId)
      .returning("secret")
      .executeTakeFirst();
    return row?.secret ?? null;
  }
}
