import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import {
  ApiKeyService,
  buildApp,
  type Clock,
  createLogger,
  type IdentityProviderConfig,
  KEY_FILE_NAME,
  Keyring,
  KeyringHolder,
  loadConfig,
  type ProviderConfig,
  Store,
  writeKeyFile,
} from "../../packages/server/src/testing.js";

/** A settable clock for tests: time moves only when the test says so. */
export class FakeClock implements Clock {
  constructor(public current = Date.UTC(2026, 10, 30, 12)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface TestVault {
  app: FastifyInstance;
  store: Store;
  apiKeys: ApiKeyService;
  clock: FakeClock;
  keyring: Keyring;
  /** The key ring as the app holds it (audit MACs, sealing). */
  keys: KeyringHolder;
  dataDir: string;
  close(): Promise<void>;
}

/** The vault's HTTP app in-process over a fresh SQLite file (or `databaseUrl`), for `inject()`. */
export async function startTestVault(
  options: {
    databaseUrl?: string;
    providers?: ProviderConfig[];
    publicUrl?: string;
    /** Share a key ring with another vault on the same database (several server processes). */
    keyring?: Keyring;
    /** How the vault reaches providers (to observe or disturb that traffic). */
    fetch?: typeof fetch;
    /** Apps' identity providers (`authenticate()`, user tokens). */
    identity?: IdentityProviderConfig[];
    /** How soon an unknown signing key may fetch the identity provider's keys again. */
    keySetCooldownMs?: number;
    /** More server settings, as `GRANTVAULT_*` environment variables. */
    settings?: Record<string, string>;
    /** PostgreSQL: connections in the pool (default 10, as the server's). */
    poolSize?: number;
  } = {},
): Promise<TestVault> {
  const dataDir = await mkdtemp(join(tmpdir(), "gv-test-"));
  const config = loadConfig(
    {
      GRANTVAULT_DATA_DIR: dataDir,
      ...(options.databaseUrl ? { GRANTVAULT_DATABASE_URL: options.databaseUrl } : {}),
      ...(options.publicUrl ? { GRANTVAULT_PUBLIC_URL: options.publicUrl } : {}),
      ...options.settings,
    },
    {},
  );
  // As the server opens it (SQLite: checkpoints on a worker thread).
  const store = await Store.open(config.databaseUrl, {
    backgroundCheckpoints: true,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  let keyring = options.keyring;
  if (!keyring) {
    const key = { id: "test", key: randomBytes(32) };
    keyring = new Keyring([key]);
    // In the data directory too, so the server CLI run on it (`audit verify`) holds the same key.
    await writeKeyFile(join(dataDir, KEY_FILE_NAME), [key]);
  }
  const keys = new KeyringHolder(keyring, { kind: "env" });
  const clock = new FakeClock();
  const app = await buildApp({
    config,
    store,
    keys,
    clock,
    logger: createLogger("silent"),
    // In memory, offered to every app (as the demo provider is); the database-held providers of
    // each app are the admin API's (test/e2e/control-plane*.test.ts).
    builtInProviders: options.providers ?? [],
    builtInIdentities: options.identity ?? [],
    ...(options.keySetCooldownMs === undefined ? {} : { keySetCooldownMs: options.keySetCooldownMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    app,
    store,
    apiKeys: new ApiKeyService(store, clock),
    clock,
    keyring,
    keys,
    dataDir,
    async close() {
      await app.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
