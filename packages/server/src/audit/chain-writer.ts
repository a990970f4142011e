import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../clock.js";
import type { Store } from "../storage/store.js";
import type { AuditEventInput } from "./audit-event.js";
import { type ChainTip, GENESIS, linkRows } from "./chain-link.js";

/** Rows written in one statement at most. */
const MAX_BATCH = 100;
/** Places lost to writers in other processes before the append gives up (each loss means one of them won). */
const MAX_ATTEMPTS = 20;

interface Pending {
  event: AuditEventInput;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Appends to one app's chain. Appends that arrive while a write is in flight go out together in the
 * next one (one statement, one commit), and the writer remembers the tip it wrote last, so an
 * append is usually a single INSERT. Writers in other server processes are caught by the unique
 * (app, seq) constraint: a lost race re-reads the tip and tries again. A promise resolves only
 * once its row is committed.
 */
export class ChainWriter {
  #tip: ChainTip | null = null;
  #queue: Pending[] = [];
  #writing = false;

  constructor(
    private readonly appId: string,
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  append(event: AuditEventInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await this.#write(batch.map((pending) => pending.event));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          this.#tip = null;
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(events: AuditEventInput[]): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const tip = this.#tip ?? (await this.store.audit.tip(this.appId)) ?? GENESIS;
      const rows = linkRows(events, tip, this.clock.now());
      if ((await this.store.audit.insertLinks(rows)) === "inserted") {
        const last = rows[rows.length - 1] as ChainTip;
        this.#tip = { seq: last.seq, hash: last.hash };
        return;
      }
      this.#tip = null;
      // Jitter, so that writers who collided do not collide again in lockstep.
      await sleep(Math.random() * attempt);
    }
    throw new Error(`lost the race for the audit chain's tip ${MAX_ATTEMPTS} times`);
  }
}
