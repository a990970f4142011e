import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export type AuditRow = Database["audit_events"];

export interface AuditFilter {
  type?: string | undefined;
  grantId?: string | undefined;
  /** Only events before this seq (newest-first pagination). */
  beforeSeq?: number | undefined;
}

/** Audit rows: appended, read, never updated or deleted by the vault. */
export class AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** The app's newest event (the chain's tip), or null for an empty chain. */
  async tip(appId: string): Promise<Pick<AuditRow, "seq" | "hash"> | null> {
    const row = await this.db
      .selectFrom("audit_events")
      .select(["seq", "hash"])
      .where("app_id", "=", appId)
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  }

  async insert(row: AuditRow): Promise<void> {
    await this.db.insertInto("audit_events").values(row).execute();
  }

  /**
   * Inserts consecutive rows of one chain in one statement. `conflict` when another writer took
   * one of their places (the unique app/seq constraint): nothing was inserted, the caller's idea
   * of the tip is stale.
   */
  async insertLinks(rows: AuditRow[]): Promise<"inserted" | "conflict"> {
    try {
      await this.db.insertInto("audit_events").values(rows).execute();
      return "inserted";
    } catch (error) {
      if (isUniqueViolation(error)) return "conflict";
      throw error;
    }
  }

  async list(appId: string, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    let query = this.db.selectFrom("audit_events").selectAll().where("app_id", "=", appId);
    if (filter.type !== undefined) query = query.where("type", "=", filter.type);
    if (filter.grantId !== undefined) query = query.where("grant_id", "=", filter.grantId);
    if (filter.beforeSeq !== undefined) query = query.where("seq", "<", filter.beforeSeq);
    return query.orderBy("seq", "desc").limit(limit).execute();
  }

  /** The app's events in chain order, `limit` at a time after `afterSeq` (for verification). */
  async chainPage(appId: string, afterSeq: number, limit: number): Promise<AuditRow[]> {
    return this.db
      .selectFrom("audit_events")
      .selectAll()
      .where("app_id", "=", appId)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(limit)
      .execute();
  }

  async appIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("audit_events")
      .select("app_id")
      .distinct()
      .orderBy("app_id")
      .execute();
    return rows.map((row) => row.app_id);
  }
}

/** PostgreSQL's unique_violation, or SQLite's unique/primary-key constraint failure. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
