import { stat } from "node:fs/promises";
import { Keyring } from "./keyring.js";
import { type KeySource, readKeyFile } from "./master-keys.js";

/** How often a running server looks at the key file for a rotation done by `keys rotate`. */
const FILE_CHECK_INTERVAL_MS = 1_000;

/**
 * Hands out the current key ring. With a key file, a rotation made by another process (the CLI)
 * is picked up within a second, so the embedded server keeps reading re-encrypted secrets and
 * seals new ones under the new primary without a restart. With `GRANTVAULT_MASTER_KEY` the ring
 * changes only by restarting with the new value.
 */
export class KeyringHolder {
  #keyring: Keyring;
  #checkedAt = 0;
  /** Modification time of the key file the ring was last read from; null until first checked. */
  #mtimeMs: number | null = null;

  constructor(
    keyring: Keyring,
    private readonly source: KeySource,
    private readonly now: () => number = Date.now,
  ) {
    this.#keyring = keyring;
  }

  async current(): Promise<Keyring> {
    if (this.source.kind === "file" && this.now() - this.#checkedAt >= FILE_CHECK_INTERVAL_MS) {
      this.#checkedAt = this.now();
      await this.#reloadIfChanged(this.source.path);
    }
    return this.#keyring;
  }

  async #reloadIfChanged(path: string): Promise<void> {
    try {
      const { mtimeMs } = await stat(path);
      // The first check reads the file again: it may have changed since the ring was loaded.
      if (mtimeMs === this.#mtimeMs) return;
      const keys = await readKeyFile(path);
      if (keys) this.#keyring = new Keyring(keys);
      this.#mtimeMs = mtimeMs;
    } catch {
      // A half-written or unreadable file: keep the ring we have; the next check tries again.
    }
  }
}
