import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import type { AuditFilter, AuditRow } from "../storage/audit-repository.js";
import type { Store } from "../storage/store.js";

/** What happened. Stable names: clients filter on them. */
export type AuditEventType =
  | "session.created"
  | "session.completed"
  | "session.denied"
  | "session.failed"
  | "grant.created"
  | "grant.reauthorized"
  | "grant.revoked"
  | "grant.reauth_required"
  | "credential.retrieved"
  | "credential.refused"
  | "request.proxied";

export interface AuditEventInput {
  appId: string;
  type: AuditEventType;
  outcome?: "ok" | "refused" | "error";
  grantId?: string | null;
  providerId?: string | null;
  apiKeyPrefix?: string | null;
  reason?: string | null;
  context?: Record<string, unknown> | null;
  /** Facts of the event (method, host, path, status, latency, refusal code…). Never secrets. */
  details?: Record<string, unknown> | null;
}

const GENESIS = "0".repeat(64);

/**
 * The append-only audit log. Each app's events form a hash chain: every row stores the hash of
 * the previous one and a hash over its own fields, so editing, inserting or deleting a row breaks
 * the chain (`verify`). Appends to one app's chain are serialised (advisory lock in PostgreSQL, the
 * write transaction in SQLite). Callers that hand out credentials append first and fail closed.
 */
export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async append(event: AuditEventInput): Promise<void> {
    await this.store.withLock(`audit:${event.appId}`, async (tx) => {
      const tip = await tx.audit.tip(event.appId);
      const row: Omit<AuditRow, "hash"> = {
        id: `evt_${randomBytes(12).toString("hex")}`,
        app_id: event.appId,
        seq: (tip?.seq ?? 0) + 1,
        created_at: this.clock.now(),
        type: event.type,
        outcome: event.outcome ?? "ok",
        grant_id: event.grantId ?? null,
        provider_id: event.providerId ?? null,
        api_key_prefix: event.apiKeyPrefix ?? null,
        reason: event.reason ?? null,
        context: event.context ? JSON.stringify(event.context) : null,
        details: event.details ? JSON.stringify(event.details) : null,
        prev_hash: tip?.hash ?? GENESIS,
      };
      await tx.audit.insert({ ...row, hash: hashOf(row) });
    });
  }

  list(appId: string, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    return this.store.audit.list(appId, filter, limit);
  }

  /**
   * Walks every chain (or one app's) and reports the first break: a row whose hash does not match
   * its fields (edited), whose prev_hash is not its predecessor's hash, or a gap in seq (deleted).
   */
  async verify(appId?: string): Promise<VerifyReport> {
    const apps = appId ? [appId] : await this.store.audit.appIds();
    const report: VerifyReport = { ok: true, checked: 0, problems: [] };
    for (const app of apps) {
      let previous = { seq: 0, hash: GENESIS };
      for (;;) {
        const page = await this.store.audit.chainPage(app, previous.seq, 1000);
        for (const row of page) {
          report.checked++;
          const { hash, ...fields } = row;
          const problem =
            row.seq !== previous.seq + 1
              ? `events ${previous.seq + 1}–${row.seq - 1} are missing`
              : row.prev_hash !== previous.hash
                ? "does not follow its predecessor"
                : hashOf(fields) !== hash
                  ? "was modified after it was written"
                  : null;
          if (problem) report.problems.push({ appId: app, seq: row.seq, eventId: row.id, problem });
          previous = { seq: row.seq, hash };
        }
        if (page.length < 1000) break;
      }
    }
    report.ok = report.problems.length === 0;
    return report;
  }
}

export interface VerifyReport {
  ok: boolean;
  checked: number;
  problems: { appId: string; seq: number; eventId: string; problem: string }[];
}

/** SHA-256 over the previous hash and every field, in a fixed order, as JSON. */
function hashOf(row: Omit<AuditRow, "hash">): string {
  const fields = [
    row.prev_hash,
    row.id,
    row.app_id,
    row.seq,
    row.created_at,
    row.type,
    row.outcome,
    row.grant_id,
    row.provider_id,
    row.api_key_prefix,
    row.reason,
    row.context,
    row.details,
  ];
  return createHash("sha256").update(JSON.stringify(fields)).digest("hex");
}
