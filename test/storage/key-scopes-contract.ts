import { Migrator, sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  ApiKeyManagement,
  ApiKeyService,
  hashApiKey,
  migrationProvider,
  newId,
  OPERATOR,
  OPERATOR_KEY_PREFIX,
  OperatorKeyService,
  Store,
} from "../../packages/server/src/testing.js";
import {
  type Engine,
  FakeClock,
  holder,
  masterKey,
  type OpenedDatabase,
  T0,
  useContractStore,
} from "./storage-fixtures.js";

/** Scoped keys, their expiry and disabling, and operator keys (issue 15 item 4) on one engine. */
export function keyScopesContract(engine: Engine, open: () => Promise<OpenedDatabase>): void {
  describe(`key scopes on ${engine}`, () => {
    const env = useContractStore(open);

    it("migration 0015 keeps what every key could do: connect proxy read, use for retrieve, admin stays", async () => {
      const opened = await open();
      const bare = await Store.open(opened.url, { migrate: false });
      try {
        const migrator = new Migrator({ db: bare.db, provider: migrationProvider });
        expect((await migrator.migrateTo("0013-grants-by-label")).error).toBeUndefined();
        const appId = newId("app");
        await sql`insert into apps (id, name, created_at) values (${appId}, 'legacy', ${T0})`.execute(
          bare.db,
        );
        const before: Record<string, string> = {
          full: "admin retrieve",
          retrieveOnly: "retrieve",
          adminOnly: "admin",
          proxyOnly: "",
        };
        const ids: Record<string, string> = {};
        for (const [name, scopes] of Object.entries(before)) {
          ids[name] = newId("key");
          await sql`insert into api_keys (id, app_id, name, prefix, hash, created_at, scopes) values (${ids[name]}, ${appId}, ${name}, 'gv_live_x', ${`hash-${name}`}, ${T0}, ${scopes})`.execute(
            bare.db,
          );
        }
        expect(await bare.migrate()).toContain("0015-key-scopes");
        const after = Object.fromEntries(
          await Promise.all(
            Object.entries(ids).map(
              async ([name, id]) => [name, (await bare.apiKeys.get(id))?.scopes] as const,
            ),
          ),
        );
        expect(after).toStrictEqual({
          full: ["admin", "connect", "use", "proxy", "read"],
          retrieveOnly: ["connect", "use", "proxy", "read"],
          adminOnly: ["admin", "connect", "proxy", "read"],
          proxyOnly: ["connect", "proxy", "read"],
        });
        const full = await bare.apiKeys.get(ids.full ?? "");
        expect(full).toMatchObject({ expiresAt: null, disabledAt: null, revokedAt: null });
        expect(await bare.operatorKeys.list()).toStrictEqual([]);
      } finally {
        await bare.close();
        await opened.cleanup();
      }
    });

    it("refuses an expired key (api_key_expired) and a disabled one (api_key_disabled) until enabled", async () => {
      const clock = new FakeClock(T0);
      const keys = new ApiKeyService(env.store, clock);
      const { app } = await keys.createApp("expiring");
      const short = await keys.createKey(app.id, "short", ["read"], null, T0 + 60_000);
      expect(await keys.authenticate(short.plaintext)).toMatchObject({ ok: true, expiresAt: T0 + 60_000 });
      clock.advance(60_000);
      expect(await keys.authenticate(short.plaintext)).toStrictEqual({
        ok: false,
        reason: "api_key_expired",
      });

      const other = await keys.createKey(app.id, "other", ["read"]);
      await env.store.apiKeys.update(other.key.id, { disabledAt: clock.now() });
      expect(await keys.authenticate(other.plaintext)).toStrictEqual({
        ok: false,
        reason: "api_key_disabled",
      });
      await env.store.apiKeys.update(other.key.id, { disabledAt: null });
      expect(await keys.authenticate(other.plaintext)).toMatchObject({ ok: true, appId: app.id });
    });

    it("updates a key's name, scopes, expiry and state, one audit event per kind of change", async () => {
      const clock = new FakeClock(T0);
      const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
      const { app, apiKey } = await management.createApp("updating");
      const auth = await new ApiKeyService(env.store, clock).authenticate(apiKey.plaintext);
      if (!auth.ok) throw new Error("the first key must authenticate");
      const admin = { kind: "api_key" as const, ...auth };
      const worker = await management.create(admin, app.id, { name: "worker", expiresAt: T0 + 3_600_000 });
      expect(worker.key).toMatchObject({
        scopes: ["connect", "use", "proxy", "read"],
        expiresAt: T0 + 3_600_000,
      });

      const updated = await management.update(admin, app.id, worker.key.id, {
        name: "reader",
        scopes: ["read"],
        expiresAt: null,
      });
      expect(updated).toMatchObject({ name: "reader", scopes: ["read"], expiresAt: null, disabledAt: null });
      expect(await management.update(admin, app.id, worker.key.id, { enabled: false })).toMatchObject({
        disabledAt: T0,
      });
      expect(await management.update(admin, app.id, worker.key.id, { enabled: true })).toMatchObject({
        disabledAt: null,
      });
      expect(await env.store.apiKeys.get(worker.key.id)).toMatchObject({ name: "reader", scopes: ["read"] });

      const events = (await env.store.audit.list(app.id, {}, 50))
        .filter((row) => row.type.startsWith("api_key.") && row.type !== "api_key.created")
        .reverse()
        .map((row) => ({
          type: row.type,
          by: row.api_key_prefix,
          details: JSON.parse(row.details ?? "null"),
        }));
      const common = { api_key_id: worker.key.id, prefix: worker.key.prefix, by: "api_key" };
      expect(events).toStrictEqual([
        {
          type: "api_key.updated",
          by: apiKey.key.prefix,
          details: {
            ...common,
            name: "reader",
            scopes: ["read"],
            previous_scopes: ["connect", "use", "proxy", "read"],
            expires_at: null,
          },
        },
        { type: "api_key.disabled", by: apiKey.key.prefix, details: common },
        { type: "api_key.enabled", by: apiKey.key.prefix, details: common },
      ]);
    });

    it("F4: a key adds no scope it lacks, and the app keeps an active admin key", async () => {
      const clock = new FakeClock(T0);
      const management = ApiKeyManagement.forStore(env.store, clock, holder(masterKey("k1")));
      const { app, apiKey } = await management.createApp("guarded");
      const service = new ApiKeyService(env.store, clock);
      const first = await service.authenticate(apiKey.plaintext);
      if (!first.ok) throw new Error("the first key must authenticate");
      const full = { kind: "api_key" as const, ...first };
      const narrow = await management.create(full, app.id, { name: "narrow", scopes: ["admin", "read"] });
      const narrowAuth = await service.authenticate(narrow.plaintext);
      if (!narrowAuth.ok) throw new Error("the narrow key must authenticate");
      const narrowActor = { kind: "api_key" as const, ...narrowAuth };
      const reader = await management.create(full, app.id, { name: "reader", scopes: ["read"] });

      // The narrow admin may not give `use` to another key, nor to itself.
      for (const target of [reader.key.id, narrow.key.id]) {
        await expect(
          management.update(narrowActor, app.id, target, { scopes: ["read", "use"] }),
        ).rejects.toMatchObject({ code: "insufficient_scope" });
      }
      // It may narrow a key whose scopes it lacks (taking away is not granting).
      expect(
        await management.update(narrowActor, app.id, apiKey.key.id, { scopes: ["admin", "use"] }),
      ).toMatchObject({
        scopes: ["admin", "use"],
      });

      // Two admin keys: either may go, not both; dropping admin, disabling, revoking alike.
      await management.update(full, app.id, narrow.key.id, { enabled: false });
      for (const change of [{ scopes: ["use" as const] }, { enabled: false }]) {
        await expect(management.update(full, app.id, apiKey.key.id, change)).rejects.toMatchObject({
          code: "last_api_key",
        });
      }
      await expect(management.revoke(full, app.id, apiKey.key.id)).rejects.toMatchObject({
        code: "last_api_key",
      });
      // The operator (CLI) may, e.g. to shut out a leaked key.
      expect(await management.update(OPERATOR, app.id, apiKey.key.id, { enabled: false })).toMatchObject({
        disabledAt: T0,
      });
      // A revoked key is gone for good: it cannot be changed or enabled again.
      await management.revoke(OPERATOR, app.id, reader.key.id);
      await expect(
        management.update(OPERATOR, app.id, reader.key.id, { enabled: true }),
      ).rejects.toMatchObject({
        code: "invalid_request",
      });
      // Another app's key is as absent as a missing one.
      const other = await management.createApp("other");
      await expect(management.get(full, other.app.id, other.apiKey.key.id)).rejects.toMatchObject({
        code: "not_found",
      });
    });

    it("operator keys: hash-only, authenticate until revoked or expired", async () => {
      const clock = new FakeClock(T0);
      const operators = new OperatorKeyService(env.store, clock);
      const { key, plaintext } = await operators.create("ci", T0 + 60_000);
      expect(plaintext.startsWith(OPERATOR_KEY_PREFIX)).toBe(true);
      expect(plaintext.startsWith(key.prefix)).toBe(true);
      const rows = await env.store.db.selectFrom("operator_keys").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(plaintext);
      expect(rows.find((row) => row.id === key.id)?.hash).toBe(hashApiKey(plaintext));

      expect(await operators.authenticate(plaintext)).toStrictEqual({
        ok: true,
        keyId: key.id,
        keyPrefix: key.prefix,
      });
      expect(await operators.authenticate(`${plaintext.slice(0, -1)}_`)).toMatchObject({ ok: false });
      clock.advance(60_000);
      expect(await operators.authenticate(plaintext)).toStrictEqual({ ok: false, reason: "api_key_expired" });

      const other = await operators.create(null, null);
      expect(await operators.revoke(other.key.id)).toBe(true);
      expect(await operators.revoke(other.key.id)).toBe(false);
      expect(await operators.authenticate(other.plaintext)).toStrictEqual({
        ok: false,
        reason: "api_key_revoked",
      });
      expect((await operators.list()).map((listed) => listed.id)).toEqual(
        expect.arrayContaining([key.id, other.key.id]),
      );
    });
  });
}
