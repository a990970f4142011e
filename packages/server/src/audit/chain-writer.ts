import { setTimeout as sleep } from "node:timers/promises";
import type { Clock } from "../clock.js";
import type { Keyring } from "../crypto/keyring.js";
import type { AuditRow, GrantUseFacts } from "../storage/audit-repository.js";
import type { Store } from "../storage/store.js";
import type { AuditEventInput } from "./audit-event.js";
import { type ChainTip, GENESIS, linkRows } from "./chain-link.js";
import { auditSigner } from "./chain-mac.js";

/** Where the current key ring comes from (a KeyringHolder: it follows rotations). */
export interface KeyringSource {
  current(): Promise<Keyring>;
}

/** Rows written in one statement at most. */
const MAX_BATCH = 100;
/** Places lost to writers in other processes before the append gives up (each loss means one of them won). */
const MAX_ATTEMPTS = 20;

interface Pending {
  event: AuditEventInput;
  /** Written only if these still hold (alone, in its own statement); null: written regardless. */
  facts: GrantUseFacts | null;
  /** With whether the row was written (always true without facts). */
  resolve: (written: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * Appends to one app's chain. Appends that arrive while a write is in flight go out together in the
 * next one (one statement, one commit), and the writer remembers the tip it wrote last, so an
 * append is usually a single INSERT. Writers in other server processes are caught by the
 * (app, seq) primary key: a lost race re-reads the tip and tries again. A promise resolves only
 * once its row is committed. A conditional append (`appendIf`) is written on its own, in queue
 * order, and takes no place in the chain when its facts no longer hold.
 */
export class ChainWriter {
  #tip: ChainTip | null = null;
  #queue: Pending[] = [];
  #writing = false;

  constructor(
    private readonly appId: string,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly keys: KeyringSource,
  ) {}

  /** True while a write is in flight: an append now would wait for it (and join the next batch). */
  get busy(): boolean {
    return this.#writing;
  }

  async append(event: AuditEventInput): Promise<void> {
    await this.#enqueue(event, null);
  }

  /** Appends `event` only if `facts` still hold when it is written; resolves with whether it was. */
  appendIf(event: AuditEventInput, facts: GrantUseFacts): Promise<boolean> {
    return this.#enqueue(event, facts);
  }

  #enqueue(event: AuditEventInput, facts: GrantUseFacts | null): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ event, facts, resolve, reject });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const facts = this.#queue[0]?.facts ?? null;
        // A conditional append alone; otherwise the unconditional ones up to the next conditional.
        let size = 1;
        if (!facts) {
          while (size < MAX_BATCH && size < this.#queue.length && !this.#queue[size]?.facts) size++;
        }
        const batch = this.#queue.splice(0, size);
        try {
          const written = await this.#write(
            batch.map((pending) => pending.event),
            facts,
          );
          for (const pending of batch) pending.resolve(written);
        } catch (error) {
          this.#tip = null;
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  /** False only when `facts` (for a single event) no longer held: nothing was written. */
  async #write(events: AuditEventInput[], facts: GrantUseFacts | null): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const tip = this.#tip ?? (await this.store.audit.tip(this.appId)) ?? GENESIS;
      const rows = linkRows(events, tip, this.clock.now(), auditSigner(await this.keys.current()));
      const outcome = facts
        ? await this.store.audit.insertLinkIf(rows[0] as AuditRow, facts)
        : await this.store.audit.insertLinks(rows);
      if (outcome === "unmet") return false;
      if (outcome === "inserted") {
        const last = rows[rows.length - 1] as ChainTip;
        this.#tip = { seq: last.seq, hash: last.hash };
        return true;
      }
      this.#tip = null;
      // Jitter, so that writers who collided do not collide again in lockstep.
      await sleep(Math.random() * attempt);
    }
    throw new Error(`lost the race for the audit chain's tip ${MAX_ATTEMPTS} times`);
  }
}
