/** The error of a call that took longer than its limit. */
export class TimeLimitExceeded extends Error {
  constructor(readonly limitMs: number) {
    super(`timed out after ${limitMs} ms`);
    this.name = "TimeLimitExceeded";
  }
}

/**
 * Waits for `call`, but not longer than `limitMs`: then rejects with TimeLimitExceeded (the call is
 * left to the clean-up that follows a failed run). The measured calls pass no AbortSignal: a
 * timeout signal per call is kept alive, with everything its listeners reach, until it fires,
 * which loaded the heap and the GC with seconds of finished requests. A timer cleared at the end
 * of each call costs next to nothing.
 */
export async function withinTimeLimit<T>(call: () => Promise<T>, limitMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeLimitExceeded(limitMs)), limitMs);
  });
  try {
    return await Promise.race([call(), expired]);
  } finally {
    clearTimeout(timer);
  }
}
