import { type Kysely, sql } from "kysely";
import type { Database } from "./schema.js";
import type { SealedField } from "./sealed-fields.js";

export interface SealedRow {
  id: string;
  sealed: string;
}

/**
 * Reads and rewrites sealed columns generically, for key rotation. Table and column names come
 * from the SEALED_FIELDS registry, never from input.
 */
export class SealedValuesRepository {
  readonly #db: Kysely<Record<string, Record<string, string>>>;

  constructor(db: Kysely<Database>) {
    this.#db = db as unknown as Kysely<Record<string, Record<string, string>>>;
  }

  /** Up to `limit` rows whose value does not start with `prefix`, in id order after `afterId`. */
  async listNotStartingWith(
    field: SealedField,
    prefix: string,
    afterId: string,
    limit: number,
  ): Promise<SealedRow[]> {
    const rows = await this.#db
      .selectFrom(field.table)
      .select([`${field.idColumn} as id`, `${field.column} as sealed`])
      .where(field.column, "is not", null)
      // substr, not LIKE: key ids may contain `_`, which LIKE would treat as a wildcard.
      .where(sql<string>`substr(${sql.ref(field.column)}, 1, ${prefix.length})`, "<>", prefix)
      .where(field.idColumn, ">", afterId)
      .orderBy(field.idColumn)
      .limit(limit)
      .execute();
    return rows as unknown as SealedRow[];
  }

  /** Replaces the value only if it is still `expected`, so a concurrent writer's newer value wins. */
  async replace(field: SealedField, id: string, expected: string, next: string): Promise<boolean> {
    const result = await this.#db
      .updateTable(field.table)
      .set({ [field.column]: next })
      .where(field.idColumn, "=", id)
      .where(field.column, "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Every stored value of the column, for counting by key id (keys are few, rows are read in
   * pages). Sealed columns may be empty (a connect session's user token exists only after a
   * sign-in): those rows hold no secret and are skipped.
   */
  async listPage(field: SealedField, afterId: string, limit: number): Promise<SealedRow[]> {
    const rows = await this.#db
      .selectFrom(field.table)
      .select([`${field.idColumn} as id`, `${field.column} as sealed`])
      .where(field.column, "is not", null)
      .where(field.idColumn, ">", afterId)
      .orderBy(field.idColumn)
      .limit(limit)
      .execute();
    return rows as unknown as SealedRow[];
  }
}
