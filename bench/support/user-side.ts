/**
 * The user's side of a flow, run in the background while the app side waits. When the user side
 * fails, `signal` aborts with that failure, so the app side stops waiting at once instead of
 * running into the time limit.
 */
export class UserSide<T> {
  readonly #failed = new AbortController();
  readonly signal: AbortSignal;
  #running: Promise<T> | undefined;

  constructor(timeLimit: AbortSignal) {
    this.signal = AbortSignal.any([timeLimit, this.#failed.signal]);
  }

  start(work: (signal: AbortSignal) => Promise<T>): void {
    const running = work(this.signal);
    running.catch((error: unknown) => this.#failed.abort(error));
    this.#running = running;
  }

  /** The user side's result, once the app side has its own. */
  result(): Promise<T> {
    if (!this.#running) return Promise.reject(new Error("the user side never started"));
    return this.#running;
  }

  /** The app side's failure, or — when it stopped because the user side failed — the user side's. */
  rootCause(error: unknown): unknown {
    return this.#failed.signal.aborted ? this.#failed.signal.reason : error;
  }
}
