import type { PubSub } from "../storage/database.js";

const CHANNEL = "grantvault_connect_sessions";

/**
 * Wakes long-polls when a connect session changes. In memory within a process; through
 * PostgreSQL NOTIFY across processes, so a callback that lands on one server process wakes a
 * long-poll held by another.
 */
export class SessionEvents {
  readonly #waiters = new Map<string, Set<() => void>>();
  #listening: Promise<void> | null = null;

  constructor(private readonly pubsub: PubSub | undefined) {}

  /** Starts listening for other processes' changes (no-op without cross-process notifications). */
  start(): Promise<void> {
    this.#listening ??= this.pubsub ? this.pubsub.listen(CHANNEL, (id) => this.#wake(id)) : Promise.resolve();
    return this.#listening;
  }

  /**
   * Resolves when `sessionId` changes or `signal` aborts. Subscribe before reading the session,
   * then read: a change between the two is not missed.
   */
  subscribe(sessionId: string): { changed: Promise<void>; cancel(): void } {
    let resolveChanged: () => void = () => {};
    const changed = new Promise<void>((resolve) => {
      resolveChanged = resolve;
    });
    const waiters = this.#waiters.get(sessionId) ?? new Set();
    waiters.add(resolveChanged);
    this.#waiters.set(sessionId, waiters);
    const cancel = () => {
      waiters.delete(resolveChanged);
      if (waiters.size === 0) this.#waiters.delete(sessionId);
      resolveChanged();
    };
    return { changed, cancel };
  }

  /** Tells every waiter, here and in other processes, that `sessionId` changed. */
  async publish(sessionId: string): Promise<void> {
    this.#wake(sessionId);
    await this.pubsub?.notify(CHANNEL, sessionId);
  }

  #wake(sessionId: string): void {
    const waiters = this.#waiters.get(sessionId);
    if (!waiters) return;
    this.#waiters.delete(sessionId);
    for (const wake of waiters) wake();
  }
}
