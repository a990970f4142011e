import type { Kysely } from "kysely";
import { type ApiKeyRecord, toApiKey } from "./api-keys-repository.js";
import type { GrantPolicyRecord } from "./connect-sessions-repository.js";
import { PreparedQuery } from "./prepared-query.js";
import type { Database } from "./schema.js";

export interface GrantRecord {
  id: string;
  appId: string;
  providerId: string;
  /** The account's label (an email, a login): shown, may change on reconnect; never a key (F1). */
  accountIdentifier: string;
  /**
   * The provider's permanent id of the account, which keys the grant (F1); null for a grant made
   * before migration 0008 until its next reconnect.
   */
  accountSubject: string | null;
  scopes: string[];
  status: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
  grantPolicy: GrantPolicyRecord | null;
  /** Why it is not active, or null. */
  statusReason: string | null;
  /** The signed-in user (identity provider `sub`) the grant belongs to, or null (the app's). */
  userSubject: string | null;
  /**
   * The per-connection parameters (a tenant, a shop) its provider's URLs were filled with, or
   * null when the provider has none. Omitted when building a grant for a provider without any.
   */
  connectionParams?: Record<string, string> | null;
}

/** Stored statuses; `expired` is derived from expires_at when reading. */
export type StoredGrantStatus = "active" | "revoked" | "reauth_required";

export interface GrantFilter {
  providerId?: string | undefined;
  /** `expired` selects active grants past their expiry; `active` excludes them. */
  status?: StoredGrantStatus | "expired" | undefined;
  accountIdentifier?: string | undefined;
  /** Keyset pagination: only grants before this (created_at, id) in newest-first order. */
  before?: { createdAt: number; id: string } | undefined;
}

/** What a call with a grant needs to know, read in one query: who asks, and the grant they name. */
export interface GrantForKey {
  key: ApiKeyRecord;
  /** Null when the key's app has no grant with that id (another app's grant included). */
  grant: GrantRecord | null;
  sealedCredential: string | null;
}

export class GrantsRepository {
  readonly #forKey: PreparedQuery<{ keyHash: string; grantId: string }, KeyAndGrantRow>;

  constructor(private readonly db: Kysely<Database>) {
    this.#forKey = new PreparedQuery(db, (slot) =>
      db
        .selectFrom("api_keys")
        .innerJoin("apps", "apps.id", "api_keys.app_id")
        .leftJoin("grants", (join) =>
          join.onRef("grants.app_id", "=", "api_keys.app_id").on("grants.id", "=", slot("grantId")),
        )
        .leftJoin("credentials", "credentials.grant_id", "grants.id")
        .select([
          "api_keys.id as key_id",
          "api_keys.app_id as key_app_id",
          "api_keys.name as key_name",
          "api_keys.prefix as key_prefix",
          "api_keys.created_at as key_created_at",
          "api_keys.last_used_at as key_last_used_at",
          "api_keys.revoked_at as key_revoked_at",
          "api_keys.scopes as key_scopes",
          "api_keys.created_by as key_created_by",
          "api_keys.expires_at as key_expires_at",
          "api_keys.disabled_at as key_disabled_at",
          "apps.disabled_at as app_disabled_at",
        ])
        .select(GRANT_COLUMNS.map((column) => `grants.${column}` as const))
        .select("credentials.secret as sealed_credential")
        .where("api_keys.hash", "=", slot("keyHash")),
    );
  }

  /**
   * The API key with this hash and its app's grant `grantId`, in one query: the hot path of every
   * credential and proxied call, which would otherwise ask the database twice. Null when no key
   * has this hash.
   */
  async getForKey(keyHash: string, grantId: string): Promise<GrantForKey | null> {
    const row = await this.#forKey.first({ keyHash, grantId });
    if (!row) return null;
    const { sealed_credential: sealedCredential, ...rest } = row;
    const key = toApiKey({
      id: rest.key_id,
      app_id: rest.key_app_id,
      name: rest.key_name,
      prefix: rest.key_prefix,
      hash: keyHash,
      created_at: rest.key_created_at,
      last_used_at: rest.key_last_used_at,
      revoked_at: rest.key_revoked_at,
      scopes: rest.key_scopes,
      created_by: rest.key_created_by,
      expires_at: rest.key_expires_at,
      disabled_at: rest.key_disabled_at,
    });
    if (rest.app_disabled_at !== null) key.appDisabled = true;
    return { key, grant: isGrantRow(rest) ? toGrant(rest) : null, sealedCredential };
  }

  /** How many grants the app has, whatever their status (recorded when an app is deleted). */
  async countForApp(appId: string): Promise<number> {
    const row = await this.db
      .selectFrom("grants")
      .select((eb) => eb.fn.countAll().as("count"))
      .where("app_id", "=", appId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  async insert(grant: GrantRecord): Promise<void> {
    await this.db
      .insertInto("grants")
      .values({
        id: grant.id,
        app_id: grant.appId,
        provider_id: grant.providerId,
        account_identifier: grant.accountIdentifier,
        account_subject: grant.accountSubject,
        scopes: JSON.stringify(grant.scopes),
        status: grant.status,
        expires_at: grant.expiresAt,
        last_used_at: grant.lastUsedAt,
        created_at: grant.createdAt,
        updated_at: grant.updatedAt,
        grant_policy: grant.grantPolicy ? JSON.stringify(grant.grantPolicy) : null,
        status_reason: grant.statusReason,
        user_subject: grant.userSubject,
        connection_params: grant.connectionParams ? JSON.stringify(grant.connectionParams) : null,
      })
      .execute();
  }

  /** The app's grants, newest first, `limit` at most. `now` decides which active grants are expired. */
  async list(appId: string, filter: GrantFilter, limit: number, now: number): Promise<GrantRecord[]> {
    let query = this.db.selectFrom("grants").selectAll().where("app_id", "=", appId);
    if (filter.providerId !== undefined) query = query.where("provider_id", "=", filter.providerId);
    if (filter.accountIdentifier !== undefined) {
      query = query.where("account_identifier", "=", filter.accountIdentifier);
    }
    if (filter.status === "expired") {
      query = query.where("status", "=", "active").where("expires_at", "<=", now);
    } else if (filter.status === "active") {
      query = query
        .where("status", "=", "active")
        .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
    } else if (filter.status !== undefined) {
      query = query.where("status", "=", filter.status);
    }
    const before = filter.before;
    if (before) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", "<", before.createdAt),
          eb.and([eb("created_at", "=", before.createdAt), eb("id", "<", before.id)]),
        ]),
      );
    }
    const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map(toGrant);
  }

  /**
   * Sets the status (and why) where the move is allowed: never out of `revoked`, and to
   * `reauth_required` only from `active`. False when the grant is not there or the move is refused.
   */
  async setStatus(
    id: string,
    status: StoredGrantStatus,
    reason: string | null,
    at: number,
  ): Promise<boolean> {
    // Compare-and-set (F3): `revoked` is final, and a failed refresh marks only a grant still
    // active, so a refresh that loses the race with a revocation cannot undo it.
    const result = await this.db
      .updateTable("grants")
      .set({ status, status_reason: reason, updated_at: at })
      .where("id", "=", id)
      .where((eb) =>
        status === "reauth_required" ? eb("status", "=", "active") : eb("status", "!=", "revoked"),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The stored status of a grant (`active`, `revoked`, `reauth_required`), or null when absent. */
  async statusOf(id: string): Promise<StoredGrantStatus | null> {
    const row = await this.db.selectFrom("grants").select("status").where("id", "=", id).executeTakeFirst();
    return (row?.status as StoredGrantStatus | undefined) ?? null;
  }

  /** Records use, at most once per `resolution` ms (a hot grant does not write on every call). */
  async touch(id: string, at: number, resolution: number): Promise<void> {
    await this.db
      .updateTable("grants")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at - resolution)]))
      .execute();
  }

  /**
   * The app's live grant (any status but revoked) of this provider account and owner (F1): the
   * owner is the signed-in user, or null for the app's own grants, and must match exactly. A
   * revoked grant is never found, so it is never revived.
   */
  async findLiveBySubject(
    appId: string,
    providerId: string,
    accountSubject: string,
    userSubject: string | null,
  ): Promise<GrantRecord | null> {
    const row = await this.#live(appId, providerId, userSubject)
      .where("account_subject", "=", accountSubject)
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }

  /**
   * A live grant of the same owner made before subjects were recorded (migration 0008), found by
   * its label. Only until its subject is recorded: then it is found by subject alone.
   */
  async findLegacyByLabel(
    appId: string,
    providerId: string,
    accountIdentifier: string,
    userSubject: string | null,
  ): Promise<GrantRecord | null> {
    const row = await this.#live(appId, providerId, userSubject)
      .where("account_subject", "is", null)
      .where("account_identifier", "=", accountIdentifier)
      .orderBy("created_at", "asc")
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }

  #live(appId: string, providerId: string, userSubject: string | null) {
    return this.db
      .selectFrom("grants")
      .selectAll()
      .where("app_id", "=", appId)
      .where("provider_id", "=", providerId)
      .where("status", "<>", "revoked")
      .where("user_subject", userSubject === null ? "is" : "=", userSubject);
  }

  /**
   * Re-authorization: the same grant id becomes active with fresh scopes, expiry and policy, and the
   * label the provider shows now. The subject is recorded (a grant made before migration 0008) but
   * never replaced, and the owner never changes (F1). False when the grant was revoked meanwhile
   * (or belongs to another subject): nothing changed, and the caller makes a new grant.
   */
  async reauthorize(
    id: string,
    changes: Pick<GrantRecord, "accountIdentifier" | "scopes" | "expiresAt" | "grantPolicy" | "updatedAt"> & {
      accountSubject: string;
    },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("grants")
      .set({
        account_identifier: changes.accountIdentifier,
        account_subject: changes.accountSubject,
        scopes: JSON.stringify(changes.scopes),
        status: "active",
        expires_at: changes.expiresAt,
        grant_policy: changes.grantPolicy ? JSON.stringify(changes.grantPolicy) : null,
        status_reason: null,
        updated_at: changes.updatedAt,
      })
      .where("id", "=", id)
      .where("status", "<>", "revoked")
      .where((eb) =>
        eb.or([eb("account_subject", "is", null), eb("account_subject", "=", changes.accountSubject)]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** The user's grants for a provider (newest first), optionally for one account. */
  async findForUser(
    appId: string,
    userSubject: string,
    providerId: string,
    accountIdentifier?: string,
  ): Promise<GrantRecord[]> {
    let query = this.db
      .selectFrom("grants")
      .selectAll()
      .where("app_id", "=", appId)
      .where("user_subject", "=", userSubject)
      .where("provider_id", "=", providerId);
    if (accountIdentifier !== undefined) query = query.where("account_identifier", "=", accountIdentifier);
    const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(50).execute();
    return rows.map(toGrant);
  }

  /** The grant, only when it belongs to `appId`: another app's grant does not exist for the caller. */
  async get(appId: string, id: string): Promise<GrantRecord | null> {
    const row = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("app_id", "=", appId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }
}

type GrantsRow = Database["grants"];
/** Every column, by name (prepared queries do not select `*`; see prepared-query.ts). */
const GRANT_COLUMNS = [
  "id",
  "app_id",
  "provider_id",
  "account_identifier",
  "account_subject",
  "scopes",
  "status",
  "expires_at",
  "last_used_at",
  "created_at",
  "updated_at",
  "grant_policy",
  "connection_params",
  "status_reason",
  "user_subject",
] as const satisfies readonly (keyof GrantsRow)[];
type KeyAndGrantRow = { [Column in keyof GrantsRow]: GrantsRow[Column] | null } & {
  key_id: string;
  key_app_id: string;
  key_name: string | null;
  key_prefix: string;
  key_created_at: number;
  key_last_used_at: number | null;
  key_revoked_at: number | null;
  key_scopes: string;
  key_created_by: string | null;
  key_expires_at: number | null;
  key_disabled_at: number | null;
  app_disabled_at: number | null;
  sealed_credential: string | null;
};

/** A left-joined grant that is there (its primary key is never null otherwise). */
function isGrantRow(row: { [Column in keyof GrantsRow]: GrantsRow[Column] | null }): row is GrantsRow {
  return row.id !== null;
}

function toGrant(row: GrantsRow): GrantRecord {
  return {
    id: row.id,
    appId: row.app_id,
    providerId: row.provider_id,
    accountIdentifier: row.account_identifier,
    accountSubject: row.account_subject,
    scopes: JSON.parse(row.scopes) as string[],
    status: row.status,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    grantPolicy: row.grant_policy ? (JSON.parse(row.grant_policy) as GrantPolicyRecord) : null,
    statusReason: row.status_reason,
    userSubject: row.user_subject,
    ...(row.connection_params
      ? { connectionParams: JSON.parse(row.connection_params) as Record<string, string> }
      : {}),
  };
}
