import type { Clock } from "../clock.js";
import type { AuditFilter, AuditRow, GrantUseFacts } from "../storage/audit-repository.js";
import type { Store } from "../storage/store.js";
import type { AuditEventInput } from "./audit-event.js";
import { GENESIS, hashOf } from "./chain-link.js";
import { ChainWriter } from "./chain-writer.js";

export type { AuditEventInput, AuditEventType } from "./audit-event.js";

/**
 * The append-only audit log. Each app's events form a hash chain: every row stores the hash of
 * the previous one and a hash over its own fields, so editing, inserting or deleting a row breaks
 * the chain (`verify`). Each app's appends go through one {@link ChainWriter} per process; writers
 * in different processes are kept apart by the (app, seq) primary key. Callers that hand out
 * credentials append first and fail closed.
 */
export class AuditLog {
  readonly #writers = new Map<string, ChainWriter>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Resolves once the event's row is committed; rejects (and nothing is written) otherwise. */
  append(event: AuditEventInput): Promise<void> {
    return this.#writerOf(event.appId).append(event);
  }

  /**
   * Appends a grant use only if what it was decided on still holds, checked in the statement that
   * writes it (see GrantUseFacts): resolves true once committed, false when the facts changed
   * (nothing written, no place in the chain taken); rejects when the row cannot be written.
   */
  appendIf(event: AuditEventInput, facts: GrantUseFacts): Promise<boolean> {
    return this.#writerOf(event.appId).appendIf(event, facts);
  }

  /**
   * True while the app's chain has a write in flight in this process. A conditional append is
   * written alone; unconditional ones that queue meanwhile go out together in one statement.
   */
  isBusy(appId: string): boolean {
    return this.#writers.get(appId)?.busy ?? false;
  }

  #writerOf(appId: string): ChainWriter {
    let writer = this.#writers.get(appId);
    if (!writer) {
      writer = new ChainWriter(appId, this.store, this.clock);
      this.#writers.set(appId, writer);
    }
    return writer;
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
      let previous = GENESIS;
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
