import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { Store } from "../storage/store.js";

export interface SweepSettings {
  /** How often to sweep. */
  intervalMs: number;
  /** How long an expired or finished session stays readable (by id) after its expiry. */
  sessionRetentionMs: number;
}

export interface SweepCounts {
  oauthStates: number;
  userTokens: number;
  sessions: number;
}

/**
 * Keeps connect-flow tables bounded (F12): expired OAuth states are deleted, sealed ID tokens
 * of sign-ins past their expiry are dropped (picked-up ones are dropped at pickup), and sessions
 * are deleted once they are past their expiry by the retention period. Every process of a fleet
 * may sweep; the deletes are idempotent.
 */
export class ExpiredSweeper {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: { store: Store; clock: Clock; logger: Logger; settings: SweepSettings },
  ) {}

  /** Sweeps every interval until `stop()`; the timer does not keep the process alive. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      // A slow sweep is not overlapped by the next one.
      if (this.#running) return;
      this.#running = this.sweep()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, "sweeping expired sessions failed"))
        .finally(() => {
          this.#running = null;
        });
    }, this.deps.settings.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress, so the database can be closed after. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One sweep, now. */
  async sweep(): Promise<SweepCounts> {
    const { store, clock, settings } = this.deps;
    const now = clock.now();
    const counts: SweepCounts = {
      oauthStates: await store.oauthStates.deleteExpired(now),
      userTokens: await store.connectSessions.dropExpiredUserTokens(now),
      sessions: await store.connectSessions.deleteExpiredBefore(now - settings.sessionRetentionMs),
    };
    if (counts.oauthStates + counts.userTokens + counts.sessions > 0) {
      this.deps.logger.debug(counts, "swept expired connect sessions");
    }
    return counts;
  }
}
