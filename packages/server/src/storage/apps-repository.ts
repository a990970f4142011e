import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface AppRecord {
  id: string;
  name: string;
  createdAt: number;
  /** Origins (scheme://host[:port]) allowed for return URLs and the Connect widget. */
  allowedOrigins: string[];
  /** When the operator disabled the app (its keys are refused), or null; absent on insert. */
  disabledAt?: number | null;
  /** F6: a user-bound grant is usable only with its user's token; absent on insert (true). */
  userGrantsNeedUserToken?: boolean;
}

export class AppsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(app: Omit<AppRecord, "allowedOrigins"> & { allowedOrigins?: string[] }): Promise<void> {
    await this.db
      .insertInto("apps")
      .values({
        id: app.id,
        name: app.name,
        created_at: app.createdAt,
        allowed_origins: JSON.stringify(app.allowedOrigins ?? []),
      })
      .execute();
  }

  async get(id: string): Promise<AppRecord | null> {
    const row = await this.db.selectFrom("apps").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toApp(row) : null;
  }

  async list(): Promise<AppRecord[]> {
    const rows = await this.db.selectFrom("apps").selectAll().orderBy("created_at").orderBy("id").execute();
    return rows.map(toApp);
  }

  /** The app by id, or else by name (CLI arguments accept either). */
  async find(idOrName: string): Promise<AppRecord | null> {
    const row = await this.db
      .selectFrom("apps")
      .selectAll()
      .where((eb) => eb.or([eb("id", "=", idOrName), eb("name", "=", idOrName)]))
      .orderBy("created_at")
      .executeTakeFirst();
    return row ? toApp(row) : null;
  }

  /** False when there is no such app. */
  async rename(id: string, name: string): Promise<boolean> {
    const result = await this.db.updateTable("apps").set({ name }).where("id", "=", id).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Disables (a time) or enables (null) the app; false when it already was so or does not exist. */
  async setDisabledAt(id: string, disabledAt: number | null): Promise<boolean> {
    const result = await this.db
      .updateTable("apps")
      .set({ disabled_at: disabledAt })
      .where("id", "=", id)
      .where("disabled_at", disabledAt === null ? "is not" : "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Deletes the app and, by cascade, its keys, grants with their credentials, sessions and
   * providers. Its audit chain stays (audit rows do not reference the app). False when absent.
   */
  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom("apps").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async setAllowedOrigins(id: string, origins: string[]): Promise<void> {
    await this.db
      .updateTable("apps")
      .set({ allowed_origins: JSON.stringify(origins) })
      .where("id", "=", id)
      .execute();
  }

  /**
   * Whether the app's user-bound grants are usable only with their user's token (F6). True for an
   * app that does not exist: the strict answer.
   */
  async userGrantsNeedUserToken(id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("apps")
      .select("user_grants_need_user_token")
      .where("id", "=", id)
      .executeTakeFirst();
    return row === undefined || Number(row.user_grants_need_user_token) !== 0;
  }

  /** Sets that; false when the app has no such setting to change (no such app, or already so). */
  async setUserGrantsNeedUserToken(id: string, required: boolean): Promise<boolean> {
    const value = required ? 1 : 0;
    const result = await this.db
      .updateTable("apps")
      .set({ user_grants_need_user_token: value })
      .where("id", "=", id)
      .where("user_grants_need_user_token", "!=", value)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom("apps")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

function toApp(
  row: Pick<Database["apps"], "id" | "name" | "created_at" | "allowed_origins" | "disabled_at"> & {
    user_grants_need_user_token: number | string;
  },
): AppRecord {
  return {
    id: row.id,
    name: row.name,
    createdAt: Number(row.created_at),
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    disabledAt: row.disabled_at === null ? null : Number(row.disabled_at),
    userGrantsNeedUserToken: Number(row.user_grants_need_user_token) !== 0,
  };
}
