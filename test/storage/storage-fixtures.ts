import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import {
  type Clock,
  type GrantRecord,
  Keyring,
  KeyringHolder,
  type MasterKey,
  newId,
  Store,
  type TokenSet,
} from "../../packages/server/src/testing.js";

/**
 * Fixtures shared by the storage contracts (`*-contract.ts`), which `sqlite.test.ts` and
 * `postgres.test.ts` run on both engines.
 */

export interface OpenedDatabase {
  /** What `Store.open` takes: a SQLite file path or a `postgres://` URL of an empty database. */
  url: string;
  /** Removes the database (and its files). */
  cleanup(): Promise<void>;
}

/** The engines the storage contracts run on. */
export type Engine = "sqlite" | "postgres";

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(public time: number) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const T0 = 1_767_225_600_123; // 2026-01-01T00:00:00.123Z: beyond 2^32, as real epoch ms are
const ENV_SOURCE = { kind: "env" } as const;

export function hex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

export function masterKey(id: string): MasterKey {
  return { id, key: randomBytes(32) };
}

export function holder(...keys: MasterKey[]): KeyringHolder {
  return new KeyringHolder(new Keyring(keys), ENV_SOURCE);
}

export function grantRecord(appId: string, overrides: Partial<GrantRecord> = {}): GrantRecord {
  return {
    id: newId("grant"),
    appId,
    providerId: "github",
    accountIdentifier: `user-${hex(4)}@example.com`,
    accountSubject: `subject-${hex(4)}`,
    scopes: ["repo", "read:user"],
    status: "active",
    expiresAt: null,
    lastUsedAt: null,
    createdAt: T0,
    updatedAt: T0,
    grantPolicy: null,
    statusReason: null,
    userSubject: null,
    ...overrides,
  };
}

export function tokensFor(label: string): TokenSet {
  return {
    accessToken: `access-${label}-${hex(8)}`,
    refreshToken: `refresh-${label}-${hex(8)}`,
    tokenType: "Bearer",
    expiresAt: T0 + 3_600_000,
  };
}

/** Flips one character in the middle of the ciphertext part of a sealed value. */
export function tamper(sealed: string): string {
  const lastColon = sealed.lastIndexOf(":");
  const index = lastColon + 1 + Math.floor((sealed.length - lastColon - 1) / 2);
  const replacement = sealed[index] === "A" ? "B" : "A";
  return sealed.slice(0, index) + replacement + sealed.slice(index + 1);
}

/**
 * Returns `withFreshStore`, which runs `fn` with a store on a database of its own, for tests that
 * count or scan everything stored.
 */
export function freshStoreRunner(open: () => Promise<OpenedDatabase>) {
  return async function withFreshStore<T>(fn: (fresh: Store, url: string) => Promise<T>): Promise<T> {
    const opened = await open();
    const fresh = await Store.open(opened.url);
    try {
      return await fn(fresh, opened.url);
    } finally {
      await fresh.close();
      await opened.cleanup();
    }
  };
}

/** What a contract's tests share: one database and store for the whole describe block. */
export interface ContractStore {
  readonly store: Store;
  readonly database: OpenedDatabase;
  readonly clock: FakeClock;
  /** Inserts an app (in `target`, the shared store by default) and returns its id. */
  newApp(target?: Store, name?: string): Promise<string>;
}

/** Opens the contract's database and store before its tests and removes them after. */
export function useContractStore(open: () => Promise<OpenedDatabase>): ContractStore {
  let database: OpenedDatabase | undefined;
  let store: Store | undefined;
  const clock = new FakeClock(T0);

  beforeAll(async () => {
    database = await open();
    store = await Store.open(database.url);
  });
  afterAll(async () => {
    await store?.close();
    await database?.cleanup();
  });

  const context: ContractStore = {
    get store() {
      if (!store) throw new Error("the contract's store is open only inside its tests");
      return store;
    },
    get database() {
      if (!database) throw new Error("the contract's database is open only inside its tests");
      return database;
    },
    clock,
    async newApp(target = context.store, name = "app") {
      const id = newId("app");
      await target.apps.insert({ id, name, createdAt: clock.now() });
      return id;
    },
  };
  return context;
}
