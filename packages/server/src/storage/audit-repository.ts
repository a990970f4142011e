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
