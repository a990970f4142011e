import { chmodSync, closeSync, openSync } from "node:fs";
import SQLite from "better-sqlite3";
import type { Adapter, AdapterPayload } from "oidc-provider";

/**
 * node-oidc-provider's storage (its `adapter` setting) in one SQLite file: grants, sessions,
 * authorization codes, access and refresh tokens outlive a restart of the demo provider. Its
 * built-in store is in memory (and an LRU of 1000 entries), so every demo grant broke on restart.
 */
export class DemoProviderStore {
  readonly #db: SQLite.Database;

  private constructor(db: SQLite.Database) {
    this.#db = db;
  }

  /** Opens (or creates, mode 0600) the file; entries already expired are dropped. */
  static open(file: string): DemoProviderStore {
    // Created owner-only before SQLite opens it: tokens are stored in the clear here.
    closeSync(openSync(file, "a", 0o600));
    chmodSync(file, 0o600);
    const db = new SQLite(file);
    db.pragma("busy_timeout = 5000");
    db.exec(`
      CREATE TABLE IF NOT EXISTS entries (
        model TEXT NOT NULL,
        id TEXT NOT NULL,
        payload TEXT NOT NULL,
        grant_id TEXT,
        uid TEXT,
        user_code TEXT,
        expires_at INTEGER,
        PRIMARY KEY (model, id)
      );
      CREATE INDEX IF NOT EXISTS entries_grant ON entries (model, grant_id);
      CREATE INDEX IF NOT EXISTS entries_uid ON entries (model, uid);
      CREATE INDEX IF NOT EXISTS entries_user_code ON entries (model, user_code);
    `);
    db.prepare("DELETE FROM entries WHERE expires_at <= ?").run(Date.now());
    return new DemoProviderStore(db);
  }

  /** The adapter of one model (`AccessToken`, `RefreshToken`, `Session`, …), as oidc-provider asks. */
  adapterFor(model: string): Adapter {
    const db = this.#db;
    const notExpired = "(expires_at IS NULL OR expires_at > @now)";
    const upsert = db.prepare(
      `INSERT INTO entries (model, id, payload, grant_id, uid, user_code, expires_at)
       VALUES (@model, @id, @payload, @grantId, @uid, @userCode, @expiresAt)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
    );
    const findById = db.prepare(
      `SELECT payload FROM entries WHERE model = @model AND id = @id AND ${notExpired}`,
    );
    const findByUid = db.prepare(
      `SELECT payload FROM entries WHERE model = @model AND uid = @uid AND ${notExpired}`,
    );
    const findByUserCode = db.prepare(
      `SELECT payload FROM entries WHERE model = @model AND user_code = @userCode AND ${notExpired}`,
    );
    const consume = db.prepare(
      "UPDATE entries SET payload = json_set(payload, '$.consumed', @consumed) WHERE model = @model AND id = @id",
    );
    const destroy = db.prepare("DELETE FROM entries WHERE model = @model AND id = @id");
    const revokeByGrantId = db.prepare("DELETE FROM entries WHERE model = @model AND grant_id = @grantId");
    const payloadOf = (row: unknown): AdapterPayload | undefined =>
      row ? (JSON.parse((row as { payload: string }).payload) as AdapterPayload) : undefined;

    return {
      async upsert(id, payload, expiresIn) {
        upsert.run({
          model,
          id,
          payload: JSON.stringify(payload),
          grantId: payload.grantId ?? null,
          uid: payload.uid ?? null,
          userCode: payload.userCode ?? null,
          expiresAt: typeof expiresIn === "number" ? Date.now() + expiresIn * 1000 : null,
        });
      },
      async find(id) {
        return payloadOf(findById.get({ model, id, now: Date.now() }));
      },
      async findByUid(uid) {
        return payloadOf(findByUid.get({ model, uid, now: Date.now() }));
      },
      async findByUserCode(userCode) {
        return payloadOf(findByUserCode.get({ model, userCode, now: Date.now() }));
      },
      async consume(id) {
        consume.run({ model, id, consumed: Math.floor(Date.now() / 1000) });
      },
      async destroy(id) {
        destroy.run({ model, id });
      },
      async revokeByGrantId(grantId) {
        revokeByGrantId.run({ model, grantId });
      },
    };
  }

  close(): void {
    this.#db.close();
  }
}
