import type { PubSub } from "../storage/database.js";

const CHANNEL = "grantvault_config";

/**
 * Tells every server process that an app's configuration (its providers, identity provider, the
 * app itself) changed, so caches of it are dropped at once: in memory within a process, through
 * PostgreSQL NOTIFY across processes. The payload is the app id only; readers go back to the
 * database for the rest.
 */
export class ConfigEvents {
  readonly #listeners = new Set<(appId: string) => void>();
  #listening: Promise<void> | null = null;

  constructor(private readonly pubsub: PubSub | undefined) {}

  /** Starts listening for other processes' changes (no-op without cross-process notifications). */
  start(): Promise<void> {
    this.#listening ??= this.pubsub
      ? this.pubsub.listen(CHANNEL, (appId) => this.#tell(appId))
      : Promise.resolve();
    return this.#listening;
  }

  /** Calls `listener` with the app id of every change, here or in another process. */
  onChange(listener: (appId: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** After a committed change: every process drops what it holds of the app's configuration. */
  async publish(appId: string): Promise<void> {
    this.#tell(appId);
    await this.pubsub?.notify(CHANNEL, appId);
  }

  #tell(appId: string): void {
    for (const listener of this.#listeners) listener(appId);
  }
}
