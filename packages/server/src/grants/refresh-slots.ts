/**
 * A cap on the refreshes one server process runs at once (F7): each holds a refresh lease and
 * waits on a provider, so a burst of grants expiring together (or a slow provider) queues here
 * instead of fanning out without bound. Waiters are served first come, first served.
 */
export class RefreshSlots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError("at least one refresh slot is needed");
    this.#free = size;
  }

  /** Runs `work` once a slot is free, and frees the slot when it settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}
