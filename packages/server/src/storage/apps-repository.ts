import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

export interface AppRecord {
  id: string;
  name: string;
  createdAt: number;
}

export class AppsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(app: AppRecord): Promise<void> {
    await this.db
      .insertInto("apps")
      .values({ id: app.id, name: app.name, created_at: app.createdAt })
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

  async count(): Promise<number> {
    const { n } = await this.db
      .selectFrom("apps")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(n);
  }
}

function toApp(row: Database["apps"]): AppRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at };
}
