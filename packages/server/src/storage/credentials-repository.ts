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
}
