import type { Kysely } from "kysely";
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
      })
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
  };
}
