import { type Kysely, sql } from "kysely";
import { PreparedQuery } from "./prepared-query.js";
import type { Database } from "./schema.js";

export type AuditRow = Database["audit_events"];

export interface AuditFilter {
  type?: string | undefined;
  grantId?: string | undefined;
  /** Only events before this seq (newest-first pagination). */
  beforeSeq?: number | undefined;
}

/** Batches of up to this many rows have their INSERT compiled once; larger ones are built each time. */
const PREPARED_BATCH_SIZES = 16;
const COLUMNS = [
  "id",
  "app_id",
  "seq",
  "created_at",
  "type",
  "outcome",
  "grant_id",
  "provider_id",
  "api_key_prefix",
  "reason",
  "context",
  "details",
  "prev_hash",
  "hash",
  "mac_key_id",
  "mac",
] as const satisfies readonly (keyof AuditRow)[];
// Fails to compile when the table gains a column COLUMNS does not list (its inserts would drop it).
const everyColumnListed: Exclude<keyof AuditRow, (typeof COLUMNS)[number]> extends never ? true : never =
  true;
void everyColumnListed;

/**
 * What a grant use was decided on, to be still true when its audit row is written: the key (by
 * hash) unrevoked, enabled, of `appId`, with the same scopes and expiry; the grant of that app active, with the same provider, expiry
 * and user; the same sealed credential. See {@link AuditRepository.insertLinkIf}.
 */
export interface GrantUseFacts {
  keyHash: string;
  /** The key's scopes as stored (space-separated): a changed key is read afresh. */
  keyScopes: string;
  keyExpiresAt: number | null;
  appId: string;
  grantId: string;
  providerId: string;
  expiresAt: number | null;
  userSubject: string | null;
  sealedCredential: string;
}

/** Audit rows: appended, read, never updated or deleted by the vault. */
export class AuditRepository {
  /** Index n − 1: the INSERT of n rows (every credential and proxied call writes one). */
  readonly #inserts: PreparedQuery<Record<string, unknown>, never>[] = [];
  readonly #insertIf: PreparedQuery<GrantUseFacts & Record<string, unknown>, never>;

  constructor(private readonly db: Kysely<Database>) {
    this.#insertIf = new PreparedQuery<GrantUseFacts & Record<string, unknown>, never>(db, (slot) => {
      const row = slotRow(0, (name) => slot(name));
      return db
        .insertInto("audit_events")
        .columns(COLUMNS)
        .expression(
          db
            // Bigints cast: PostgreSQL types a bare parameter in a SELECT list as text.
            .selectNoFrom(
              COLUMNS.map((column) =>
                (column === "seq" || column === "created_at"
                  ? sql`cast(${row[column]} as bigint)`
                  : sql`${row[column]}`
                ).as(column),
              ),
            )
            .where(({ exists, selectFrom }) =>
              exists(
                selectFrom("api_keys")
                  .innerJoin("grants", "grants.app_id", "api_keys.app_id")
                  .innerJoin("credentials", "credentials.grant_id", "grants.id")
                  .select(sql`1`.as("one"))
                  .where("api_keys.hash", "=", slot("keyHash"))
                  .where("api_keys.revoked_at", "is", null)
                  .where("api_keys.disabled_at", "is", null)
                  .where("api_keys.scopes", "=", slot("keyScopes"))
                  .where("api_keys.expires_at", "is not distinct from", slot("keyExpiresAt"))
                  .where("api_keys.app_id", "=", slot("appId"))
                  .where("grants.id", "=", slot("grantId"))
                  .where("grants.status", "=", "active")
                  .where("grants.provider_id", "=", slot("providerId"))
                  .where("grants.expires_at", "is not distinct from", slot("expiresAt"))
                  .where("grants.user_subject", "is not distinct from", slot("userSubject"))
                  .where("credentials.secret", "=", slot("sealedCredential")),
              ),
            ),
        );
    });
  }

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

  /**
   * Inserts consecutive rows of one chain in one statement. `conflict` when another writer took
   * one of their places (the (app, seq) primary key): nothing was inserted, the caller's idea
   * of the tip is stale.
   */
  async insertLinks(rows: AuditRow[]): Promise<"inserted" | "conflict"> {
    try {
      if (rows.length > PREPARED_BATCH_SIZES) {
        await this.db.insertInto("audit_events").values(rows).execute();
      } else {
        await this.#insertOf(rows.length).execute(slotValues(rows));
      }
      return "inserted";
    } catch (error) {
      if (isUniqueViolation(error)) return "conflict";
      throw error;
    }
  }

  /**
   * Inserts one row only if `facts` still hold, checked in the same statement: `unmet` when they
   * do not (nothing was inserted; another server revoked, refreshed or changed something since
   * they were read), `conflict` when another writer took the row's place in the chain.
   */
  async insertLinkIf(row: AuditRow, facts: GrantUseFacts): Promise<"inserted" | "conflict" | "unmet"> {
    try {
      const result = await this.#insertIf.execute(Object.assign(slotValues([row]), facts));
      return result.numAffectedRows === 1n ? "inserted" : "unmet";
    } catch (error) {
      if (isUniqueViolation(error)) return "conflict";
      throw error;
    }
  }

  #insertOf(count: number): PreparedQuery<Record<string, unknown>, never> {
    let insert = this.#inserts[count - 1];
    if (!insert) {
      insert = new PreparedQuery<Record<string, unknown>, never>(this.db, (slot) =>
        this.db
          .insertInto("audit_events")
          .values(Array.from({ length: count }, (_, index) => slotRow(index, (name) => slot(name)))),
      );
      this.#inserts[count - 1] = insert;
    }
    return insert;
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

  /**
   * Every app that has, or should have, a chain: apps with events, registered apps (each chain
   * starts with `app.created`) and apps with checkpoints. A chain deleted whole is still walked.
   */
  async appIds(): Promise<string[]> {
    const rows = await this.db
      .selectFrom("audit_events")
      .select("app_id")
      .union(this.db.selectFrom("apps").select("id as app_id"))
      .union(this.db.selectFrom("audit_checkpoints").select("app_id"))
      .orderBy("app_id")
      .execute();
    return rows.map((row) => row.app_id);
  }

  /** Whether `appId` is a registered app (its chain must not be empty). */
  async appExists(appId: string): Promise<boolean> {
    return (
      (await this.db.selectFrom("apps").select("id").where("id", "=", appId).executeTakeFirst()) !== undefined
    );
  }

  /**
   * Keyed rows whose MAC is not under master key `keyId`, in (app, seq) order after `after`: the
   * rows a key rotation re-MACs.
   */
  async macsNotUnder(
    keyId: string,
    after: { appId: string; seq: number },
    limit: number,
  ): Promise<AuditRow[]> {
    return this.db
      .selectFrom("audit_events")
      .selectAll()
      .where("mac_key_id", "is not", null)
      .where("mac_key_id", "!=", keyId)
      .where((eb) =>
        eb.or([
          eb("app_id", ">", after.appId),
          eb.and([eb("app_id", "=", after.appId), eb("seq", ">", after.seq)]),
        ]),
      )
      .orderBy("app_id")
      .orderBy("seq")
      .limit(limit)
      .execute();
  }

  /**
   * Replaces a row's MAC (key rotation), only if it is still `expectedMac`; the row's fields and
   * hash are never touched. False when it changed meanwhile.
   */
  async replaceMac(
    row: { appId: string; seq: number; expectedMac: string },
    keyId: string,
    mac: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("audit_events")
      .set({ mac_key_id: keyId, mac })
      .where("app_id", "=", row.appId)
      .where("seq", "=", row.seq)
      .where("mac", "=", row.expectedMac)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** How many keyed rows each master key id MACs. */
  async countByMacKey(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom("audit_events")
      .select(["mac_key_id", (eb) => eb.fn.countAll<number | string>().as("count")])
      .where("mac_key_id", "is not", null)
      .groupBy("mac_key_id")
      .execute();
    return Object.fromEntries(rows.map((row) => [row.mac_key_id as string, Number(row.count)]));
  }
}

/** Row `index` of a batch as slots named `<column>_<index>`. */
function slotRow(index: number, slot: (name: string) => unknown): AuditRow {
  const names = slotNamesOf(index);
  return Object.fromEntries(
    COLUMNS.map((column, i) => [column, slot(names[i] as string)]),
  ) as unknown as AuditRow;
}

function slotValues(rows: AuditRow[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  rows.forEach((row, index) => {
    const names = slotNamesOf(index);
    COLUMNS.forEach((column, i) => {
      values[names[i] as string] = row[column];
    });
  });
  return values;
}

/** The slot names of row `index`, in COLUMNS order; built once per index (every append uses them). */
const slotNames: string[][] = [];
function slotNamesOf(index: number): string[] {
  let names = slotNames[index];
  if (!names) {
    names = COLUMNS.map((column) => `${column}_${index}`);
    slotNames[index] = names;
  }
  return names;
}

/** PostgreSQL's unique_violation, or SQLite's unique/primary-key constraint failure. */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
