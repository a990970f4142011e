/** How many long-polls may be held at once (F14): each holds a socket and a subscription. */
export interface HeldPollLimits {
  /** Per session: a session token alone must not let anyone hold many sockets. */
  perSession: number;
  /** Per process: past it, polls are answered at once with the current status. */
  perProcess: number;
}

export const DEFAULT_HELD_POLL_LIMITS: HeldPollLimits = { perSession: 4, perProcess: 1000 };

/**
 * Counts the long-polls being held, per session and in total. A poll over either cap is not an
 * error: it is answered at once with the session as it is (clients poll again, as after any wait).
 */
export class HeldPolls {
  readonly #bySession = new Map<string, number>();
  #total = 0;

  constructor(private readonly limits: HeldPollLimits = DEFAULT_HELD_POLL_LIMITS) {}

  /** A release function when the poll may be held, null when a cap is reached. */
  tryHold(sessionId: string): (() => void) | null {
    const held = this.#bySession.get(sessionId) ?? 0;
    if (held >= this.limits.perSession || this.#total >= this.limits.perProcess) return null;
    this.#bySession.set(sessionId, held + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#bySession.get(sessionId) ?? 1) - 1;
      if (left > 0) this.#bySession.set(sessionId, left);
      else this.#bySession.delete(sessionId);
    };
  }

  get total(): number {
    return this.#total;
  }
}
