import { mkdir, stat } from "node:fs/promises";
import type { ServerConfig } from "./config.js";
import type { Keyring } from "./crypto/keyring.js";
import { KeyringHolder } from "./crypto/keyring-holder.js";
import { type KeySource, loadKeyring } from "./crypto/master-keys.js";
import type { Logger } from "./logger.js";
import { Store } from "./storage/store.js";

/** The opened state every command works on: the migrated database and the key ring. */
export interface Runtime {
  store: Store;
  keyring: Keyring;
  keys: KeyringHolder;
  keySource: KeySource;
  close(): Promise<void>;
}

/**
 * Opens the data directory, the database (migrating it) and the key ring. In the embedded default
 * (SQLite, no GRANTVAULT_MASTER_KEY) a key file is created on first start, with a warning.
 */
export async function openRuntime(
  config: ServerConfig,
  logger: Logger,
  options: { server?: boolean } = {},
): Promise<Runtime> {
  await openDataDir(config.dataDir);
  const store = await Store.open(config.databaseUrl, {
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    // The server checkpoints SQLite's log off its event loop; a CLI command is over too soon to care.
    backgroundCheckpoints: options.server === true,
    onCheckpointFailure: (reason) =>
      logger.warn({ reason }, "SQLite checkpoint worker failed; checkpointing on the main thread again"),
  });
  try {
    const loaded = await loadKeyring({
      envValue: config.masterKey,
      dataDir: config.dataDir,
      mayCreateFile: store.engine === "sqlite",
    });
    if (loaded.created && loaded.source.kind === "file") {
      logger.warn(
        { keyFile: loaded.source.path },
        "GRANTVAULT_MASTER_KEY is not set: created a key file to encrypt stored tokens. Back it up: without it the stored tokens cannot be read.",
      );
    }
    return {
      store,
      keyring: loaded.keyring,
      keys: new KeyringHolder(loaded.keyring, loaded.source),
      keySource: loaded.source,
      close: () => store.close(),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Creates the data directory owner-only, or checks that an existing one is (F20d): it holds the
 * key file and the SQLite database, and a directory others can enter or write defeats the key
 * file's own mode (a writable directory lets its files be replaced).
 */
export async function openDataDir(dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dataDir);
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `data directory ${dataDir} is accessible by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 700 ${dataDir}`,
    );
  }
}
