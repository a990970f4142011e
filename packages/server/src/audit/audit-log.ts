import type { Clock } from "../clock.js";
import { NO_METRICS, secondsSince, type VaultMetrics } from "../metrics/vault-metrics.js";
import type { CheckpointRow } from "../storage/audit-checkpoints-repository.js";
import type { AuditFilter, AuditRow, GrantUseFacts } from "../storage/audit-repository.js";
import type { Store } from "../storage/store.js";
import type { AuditEventInput } from "./audit-event.js";
import { GENESIS, hashOf } from "./chain-link.js";
import { auditSigner, checkpointMessage, macsEqual, rowMessage, signerOf } from "./chain-mac.js";
import { ChainWriter, type KeyringSource } from "./chain-writer.js";

export type { AuditEventInput, AuditEventType } from "./audit-event.js";

/**
 * The append-only audit log. Each app's events form a hash chain: every row stores the hash of
 * the previous one and a hash over its own fields, so editing, inserting or deleting a row breaks
 * the chain (`verify`). Each row's hash is MACed under a key derived from the master key (held
 * outside the database), and signed checkpoints of the tips anchor the chains' length (F8). Each app's appends go through one {@link ChainWriter} per process; writers
 * in different processes are kept apart by the (app, seq) primary key. Callers that hand out
 * credentials append first and fail closed.
 */
export class AuditLog {
  readonly #writers = new Map<string, ChainWriter>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly keys: KeyringSource,
    private readonly metrics: VaultMetrics = NO_METRICS,
  ) {}

  /** Resolves once the event's row is committed; rejects (and nothing is written) otherwise. */
  append(event: AuditEventInput): Promise<void> {
    return this.#timed(() => this.#writerOf(event.appId).append(event));
  }

  /**
   * Appends a grant use only if what it was decided on still holds, checked in the statement that
   * writes it (see GrantUseFacts): resolves true once committed, false when the facts changed
   * (nothing written, no place in the chain taken); rejects when the row cannot be written.
   */
  appendIf(event: AuditEventInput, facts: GrantUseFacts): Promise<boolean> {
    return this.#timed(() => this.#writerOf(event.appId).appendIf(event, facts));
  }

  /** Records how long a write took to commit (a failed one too: slowness before it failed counts). */
  #timed<T>(write: () => Promise<T>): Promise<T> {
    const started = performance.now();
    return write().finally(() => this.metrics.auditAppend(secondsSince(started)));
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
      writer = new ChainWriter(appId, this.store, this.clock, this.keys);
      this.#writers.set(appId, writer);
    }
    return writer;
  }

  list(appId: string, filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    return this.store.audit.list(appId, filter, limit);
  }

  /**
   * Signs the tip of every chain (or one app's) and records it in audit_checkpoints (F8). Export
   * them to an append-only place outside the database (`audit checkpoints --out FILE`): `verify`
   * against them detects deleted newest events and deleted whole chains. A chain is signed only
   * once it verifies, against `earlier` (the checkpoints exported so far) too, so a checkpoint
   * never vouches for tampering. A chain ending in unkeyed rows is signed (which anchors them as
   * legacy) only with `adoptLegacy`, once after upgrading: later, unkeyed rows mean MACs stripped.
   */
  async checkpoint(
    appId?: string,
    earlier: readonly CheckpointRow[] = [],
    options: { adoptLegacy?: boolean } = {},
  ): Promise<{ taken: CheckpointRow[]; refused: VerifyProblem[] }> {
    const signer = auditSigner(await this.keys.current());
    const apps = appId ? [appId] : await this.store.audit.appIds();
    const taken: CheckpointRow[] = [];
    const refused: VerifyProblem[] = [];
    for (const app of apps) {
      const tip = await this.store.audit.tip(app);
      if (!tip) continue;
      const problems = (await this.verify(app, earlier)).problems.filter(
        (problem) => !(options.adoptLegacy && problem.kind === "unanchored_legacy"),
      );
      if (problems.length > 0) {
        refused.push(...problems);
        continue;
      }
      const fields = { app_id: app, seq: Number(tip.seq), hash: tip.hash, created_at: this.clock.now() };
      const checkpoint = {
        ...fields,
        mac_key_id: signer.keyId,
        mac: signer.mac(checkpointMessage(signer.keyId, fields)),
      };
      await this.store.auditCheckpoints.insert(checkpoint);
      taken.push(checkpoint);
    }
    return { taken, refused };
  }

  /**
   * Walks every chain (or one app's) and reports each break: a row whose hash does not match its
   * fields (edited), whose prev_hash is not its predecessor's hash, a gap in seq (deleted), a MAC
   * that does not match (rewritten and re-hashed without the audit key), a row without MAC after
   * keyed rows (downgraded), a checkpoint (stored, or from `external`, e.g. an exported file)
   * whose event differs or is gone (newest events or the whole chain deleted), and a registered
   * app without any event. Rows without MAC before a chain's first keyed row are legacy (written
   * before F8): counted, and accepted when covered by a MAC, of a later keyed row (it MACs their
   * hashes through its prev_hash) or of a matching checkpoint at or after them.
   */
  async verify(appId?: string, external: readonly CheckpointRow[] = []): Promise<VerifyReport> {
    const keyring = await this.keys.current();
    const report: VerifyReport = { ok: true, checked: 0, legacy: 0, checkpoints: 0, problems: [] };
    const problem = (
      app: string,
      seq: number | null,
      eventId: string | null,
      text: string,
      kind: VerifyProblem["kind"] = "tampered",
    ) => report.problems.push({ appId: app, seq, eventId, problem: text, kind });

    const checkpoints = new Map<string, Map<number, CheckpointRow[]>>();
    const candidates = [
      ...(await this.store.auditCheckpoints.list(appId)).map((row) => ({ row, source: "stored" })),
      ...external
        .filter((row) => appId === undefined || row.app_id === appId)
        .map((row) => ({ row, source: "exported" })),
    ];
    for (const { row, source } of candidates) {
      const signer = signerOf(keyring, row.mac_key_id);
      // A checkpoint MACed by a dropped key is still compared: a forged one can only raise an alarm.
      if (signer && !macsEqual(signer.mac(checkpointMessage(row.mac_key_id, row)), row.mac)) {
        problem(
          row.app_id,
          row.seq,
          null,
          `${source} checkpoint of ${isoOf(row)} is forged: its MAC does not match`,
        );
        continue;
      }
      report.checkpoints++;
      const bySeq = checkpoints.get(row.app_id) ?? new Map<number, CheckpointRow[]>();
      bySeq.set(row.seq, [...(bySeq.get(row.seq) ?? []), row]);
      checkpoints.set(row.app_id, bySeq);
    }

    const apps = appId
      ? [appId]
      : [...new Set([...(await this.store.audit.appIds()), ...checkpoints.keys()])].sort();
    for (const app of apps) {
      const anchors = checkpoints.get(app) ?? new Map<number, CheckpointRow[]>();
      let previous = GENESIS;
      let keyed = false;
      // Legacy rows seen and not yet covered by a MAC: of a later keyed row, or of a checkpoint.
      let uncoveredLegacy = 0;
      for (;;) {
        const page = await this.store.audit.chainPage(app, previous.seq, 1000);
        for (const row of page) {
          report.checked++;
          const { hash, mac, mac_key_id, ...fields } = row;
          const signer = mac_key_id === null ? null : signerOf(keyring, mac_key_id);
          const broken =
            row.seq !== previous.seq + 1
              ? `events ${previous.seq + 1}–${row.seq - 1} are missing`
              : row.prev_hash !== previous.hash
                ? "does not follow its predecessor"
                : hashOf(fields) !== hash
                  ? "was modified after it was written"
                  : mac === null || mac_key_id === null
                    ? keyed
                      ? "has no MAC although earlier events have one (rewritten as legacy)"
                      : null
                    : !signer
                      ? `is MACed with key ${mac_key_id}, which is not in the key ring`
                      : !macsEqual(signer.mac(rowMessage(mac_key_id, app, row.seq, hash)), mac)
                        ? "was rewritten: its MAC does not match (re-hashed without the audit key)"
                        : null;
          if (broken) problem(app, row.seq, row.id, broken);
          if (mac === null && !keyed) {
            report.legacy++;
            uncoveredLegacy++;
          }
          if (mac !== null) {
            keyed = true;
            uncoveredLegacy = 0;
          }
          for (const anchor of anchors.get(row.seq) ?? []) {
            if (anchor.hash !== hash) {
              problem(
                app,
                row.seq,
                row.id,
                `differs from the checkpoint of ${isoOf(anchor)} (rewritten since)`,
              );
            } else {
              uncoveredLegacy = 0;
            }
          }
          previous = { seq: row.seq, hash };
        }
        if (page.length < 1000) break;
      }
      if (uncoveredLegacy > 0) {
        // Unkeyed to the end: written before F8 and never anchored since, or stripped of MACs.
        problem(
          app,
          previous.seq,
          null,
          `its newest ${uncoveredLegacy} event(s) have no MAC and no checkpoint covers them (written before keyed links: run \`audit checkpoints --adopt-legacy\` once after upgrading; otherwise stripped of their MACs)`,
          "unanchored_legacy",
        );
      }
      const highest = Math.max(0, ...anchors.keys());
      if (highest > previous.seq) {
        const anchor = anchors.get(highest)?.[0] as CheckpointRow;
        problem(
          app,
          highest,
          null,
          previous.seq === 0
            ? `the whole chain is missing, but a checkpoint of ${isoOf(anchor)} recorded event ${highest}`
            : `the chain ends at event ${previous.seq}, but a checkpoint of ${isoOf(anchor)} recorded event ${highest}: newest events deleted`,
        );
      } else if (previous.seq === 0 && (await this.store.audit.appExists(app))) {
        problem(app, null, null, "the app has no audit events: its chain (from app.created) was deleted");
      }
    }
    report.ok = report.problems.length === 0;
    return report;
  }
}

function isoOf(checkpoint: CheckpointRow): string {
  return new Date(checkpoint.created_at).toISOString();
}

export interface VerifyReport {
  ok: boolean;
  /** Events walked. */
  checked: number;
  /** Events without MAC written before their chain's first keyed event (before F8). */
  legacy: number;
  /** Authentic checkpoints compared (stored and exported). */
  checkpoints: number;
  problems: VerifyProblem[];
}

export interface VerifyProblem {
  appId: string;
  /** Null for a problem of the chain as a whole. */
  seq: number | null;
  eventId: string | null;
  problem: string;
  /** `unanchored_legacy`: unkeyed newest events no MAC covers (`audit checkpoints --adopt-legacy`). */
  kind: "tampered" | "unanchored_legacy";
}
