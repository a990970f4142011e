import type { Kysely } from "kysely";
import type { GrantPolicyRecord } from "./connect-sessions-repository.js";
import type { Database } from "./schema.js";

export interface GrantRecord {
  id: string;
  appId: string;
  providerId: string;
  accountIdentifier: string;
  scopes: string[];
  status: string;
  expiresAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
  updatedAt: number;
  grantPolicy: GrantPolicyRecord | null;
}

export class GrantsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(grant: GrantRecord): Promise<void> {
    await this.db
      .insertInto("grants")
      .values({
        id: grant.id,
        app_id: grant.appId,
        provider_id: grant.providerId,
        account_identifier: grant.accountIdentifier,
        scopes: JSON.stringify(grant.scopes),
        status: grant.status,
        expires_at: grant.expiresAt,
        last_used_at: grant.lastUsedAt,
        created_at: grant.createdAt,
        updated_at: grant.updatedAt,
        grant_policy: grant.grantPolicy ? JSON.stringify(grant.grantPolicy) : null,
      })
      .execute();
  }

  async findByAccount(
    appId: string,
    providerId: string,
    accountIdentifier: string,
  ): Promise<GrantRecord | null> {
    const row = await this.db
      .selectFrom("grants")
      .selectAll()
      .where("app_id", "=", appId)
      .where("provider_id", "=", providerId)
      .where("account_identifier", "=", accountIdentifier)
      .executeTakeFirst();
    return row ? toGrant(row) : null;
  }

  /** Re-authorization: the same grant id gets fresh scopes, status, expiry and policy. */
  async reauthorize(
    id: string,
    changes: Pick<GrantRecord, "scopes" | "status" | "expiresAt" | "grantPolicy" | "updatedAt">,
  ): Promise<void> {
    await this.db
      .updateTable("grants")
      .set({
        scopes: JSON.stringify(changes.scopes),
        status: changes.status,
        expires_at: changes.expiresAt,
        grant_policy: changes.grantPolicy ? JSON.stringify(changes.grantPolicy) : null,
        updated_at: changes.updatedAt,
      })
      .where("id", "=", id)
      .execute();
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

function toGrant(row: Database["grants"]): GrantRecord {
  return {
    id: row.id,
    appId: row.app_id,
    providerId: row.provider_id,
    accountIdentifier: row.account_identifier,
    scopes: JSON.parse(row.scopes) as string[],
    status: row.status,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    grantPolicy: row.grant_policy ? (JSON.parse(row.grant_policy) as GrantPolicyRecord) : null,
  };
}
