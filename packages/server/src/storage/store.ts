import { type Kysely, sql } from "kysely";
import { ApiKeysRepository } from "./api-keys-repository.js";
import { AppsRepository } from "./apps-repository.js";
import { AuditCheckpointsRepository } from "./audit-checkpoints-repository.js";
import { AuditRepository } from "./audit-repository.js";
import { ConnectSessionsRepository } from "./connect-sessions-repository.js";
import { CredentialsRepository } from "./credentials-repository.js";
import {
  type DatabaseHandle,
  type Engine,
  migrateToLatest,
  type OpenOptions,
  openDatabase,
  type PoolUse,
  pendingMigrations,
  ping,
} from "./database.js";
import { GrantsRepository } from "./grants-repository.js";
import { IdentityProvidersRepository } from "./identity-providers-repository.js";
import { OAuthStatesRepository } from "./oauth-states-repository.js";
import { OperatorKeysRepository } from "./operator-keys-repository.js";
import { ProvidersRepository } from "./providers-repository.js";
import { RefreshLeasesRepository } from "./refresh-leases-repository.js";
import type { Database } from "./schema.js";
import { SealedValuesRepository } from "./sealed-values-repository.js";

/**
 * The one query layer over SQLite and PostgreSQL. Services receive a Store and never see SQL.
 */
export class Store {
  readonly apps: AppsRepository;
  readonly apiKeys: ApiKeysRepository;
  readonly operatorKeys: OperatorKeysRepository;
  readonly grants: GrantsRepository;
  readonly credentials: CredentialsRepository;
  readonly sealedValues: SealedValuesRepository;
  readonly connectSessions: ConnectSessionsRepository;
  readonly oauthStates: OAuthStatesRepository;
  readonly audit: AuditRepository;
  readonly auditCheckpoints: AuditCheckpointsRepository;
  readonly refreshLeases: RefreshLeasesRepository;
  readonly providers: ProvidersRepository;
  readonly identityProviders: IdentityProvidersRepository;
  /** Migrations applied when this store was opened (empty when the schema was current). */
  appliedOnOpen: string[] = [];

  constructor(private readonly handle: DatabaseHandle) {
    const { db } = handle;
    this.apps = new AppsRepository(db);
    this.apiKeys = new ApiKeysRepository(db);
    this.operatorKeys = new OperatorKeysRepository(db);
    this.grants = new GrantsRepository(db);
    this.credentials = new CredentialsRepository(db);
    this.sealedValues = new SealedValuesRepository(db);
    this.connectSessions = new ConnectSessionsRepository(db);
    this.oauthStates = new OAuthStatesRepository(db);
    this.audit = new AuditRepository(db);
    this.auditCheckpoints = new AuditCheckpointsRepository(db);
    this.refreshLeases = new RefreshLeasesRepository(db);
    this.providers = new ProvidersRepository(db);
    this.identityProviders = new IdentityProvidersRepository(db);
  }

  /**
   * Runs `work` in one transaction: every repository of the store it receives writes in it, and
   * nothing is kept unless `work` resolves.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    return this.handle.db.transaction().execute((trx) => work(new Store({ ...this.handle, db: trx })));
  }

  /** Opens the database at `url` and applies pending migrations. */
  static async open(url: string, options: OpenOptions & { migrate?: boolean } = {}): Promise<Store> {
    const { migrate, ...openOptions } = options;
    const handle = openDatabase(url, openOptions);
    const store = new Store(handle);
    if (migrate !== false) {
      try {
        store.appliedOnOpen = await store.migrate();
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return store;
  }

  /**
   * Runs `work` in a transaction that holds the named lock across processes: a transaction-scoped
   * advisory lock in PostgreSQL; in SQLite the transaction itself (one writer at a time).
   */
  withLock<T>(name: string, work: (store: Store) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      if (this.engine === "postgres") {
        await sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`.execute(tx.db);
      }
      return work(tx);
    });
  }

  get engine(): Engine {
    return this.handle.engine;
  }

  /** Where the data lives, safe to print. */
  get location(): string {
    return this.handle.location;
  }

  /** For tests and maintenance commands that must look below the repositories. */
  get db(): Kysely<Database> {
    return this.handle.db;
  }

  /** SQLite opened with background checkpoints: their worker. */
  get checkpointer(): DatabaseHandle["checkpointer"] {
    return this.handle.checkpointer;
  }

  /** The connection pool's state (PostgreSQL); null for SQLite. */
  poolUse(): PoolUse | null {
    return this.handle.poolUse?.() ?? null;
  }

  /** Cross-process notifications, when the engine has them (PostgreSQL). */
  get pubsub(): DatabaseHandle["pubsub"] {
    return this.handle.pubsub;
  }

  migrate(): Promise<string[]> {
    return migrateToLatest(this.handle.db);
  }

  /** Migrations not applied yet (a store opened with `migrate: false` may have some). */
  pendingMigrations(): Promise<string[]> {
    return pendingMigrations(this.handle.db);
  }

  ping(): Promise<boolean> {
    return ping(this.handle.db);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
