import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OPERATOR } from "../apps/admin-actor.js";
import { AuditLog } from "../audit/audit-log.js";
import { Keyring } from "../crypto/keyring.js";
import { KeyringHolder } from "../crypto/keyring-holder.js";
import type { VaultError } from "../errors.js";
import { newId } from "../ids.js";
import { bindingOf, PROVIDER_SECRET_FIELD } from "../storage/sealed-fields.js";
import { Store } from "../storage/store.js";
import { ConfigEvents } from "./config-events.js";
import { IdentityProviderAdmin } from "./identity-provider-admin.js";
import { ProviderAdmin } from "./provider-admin.js";

/**
 * ProviderAdmin and IdentityProviderAdmin on a real SQLite database and key ring: validation,
 * the secret kept on a re-send, patches, idempotent imports, and fail-closed auditing.
 */

let dir: string;
let store: Store;
let keys: KeyringHolder;
let admin: ProviderAdmin;
let identity: IdentityProviderAdmin;
let published: string[];
let appId: string;
const clock = { current: Date.UTC(2026, 11, 1), now: () => clock.current };

const octo = {
  id: "octo",
  type: "oauth2",
  authorizationUrl: "https://octo.example.com/authorize",
  tokenUrl: "https://octo.example.com/token",
  userinfoUrl: "https://api.octo.example.com/user",
  clientId: "octo-client",
  clientSecret: "octo-secret",
} as const;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "gv-provider-admin-"));
  store = await Store.open(join(dir, "vault.db"));
  keys = new KeyringHolder(new Keyring([{ id: "k1", key: randomBytes(32) }]), { kind: "env" });
  const events = new ConfigEvents(undefined);
  published = [];
  events.onChange((id) => published.push(id));
  const deps = {
    store,
    keys,
    audit: new AuditLog(store, clock, keys),
    events,
    clock,
    publicUrl: "https://vault.example.com",
  };
  admin = new ProviderAdmin(deps);
  identity = new IdentityProviderAdmin(deps);
  appId = newId("app");
  await store.apps.insert({ id: appId, name: "app", createdAt: clock.now() });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function storedSecret(providerId: string): Promise<string> {
  const row = await store.providers.get(appId, providerId);
  if (!row) throw new Error("no row");
  return (await keys.current()).open(row.sealedSecret, bindingOf(PROVIDER_SECRET_FIELD, row.id));
}

async function auditTypes(): Promise<string[]> {
  return (await store.audit.list(appId, {}, 100)).map((row) => row.type).reverse();
}

async function failure(work: Promise<unknown>): Promise<VaultError> {
  return work.then(
    () => {
      throw new Error("expected a refusal");
    },
    (error: VaultError) => error,
  );
}

/** Makes every audit insert fail, as a database refusing the write would. */
async function breakAudit(): Promise<void> {
  await sql`create trigger audit_down before insert on audit_events begin select raise(abort, 'audit down'); end`.execute(
    store.db,
  );
}

describe("ProviderAdmin", () => {
  it("lists every problem of a document at once, and stores nothing", async () => {
    const error = await failure(
      admin.create(OPERATOR, appId, { ...octo, id: "Octo!", clientId: "", tokenUrl: "ftp://x" }),
    );
    expect(error.code).toBe("invalid_request");
    expect(error.issues?.map((issue) => issue.path).sort()).toEqual(["clientId", "id", "tokenUrl"]);
    expect(error.message).not.toContain("octo-secret");
    expect(await store.providers.listForApp(appId)).toEqual([]);
  });

  it("replace keeps the stored secret when the document has none; a new provider needs one", async () => {
    await admin.create(OPERATOR, appId, octo);
    const { clientSecret: _secret, ...withoutSecret } = octo;
    const replaced = await admin.replace(OPERATOR, appId, "octo", { ...withoutSecret, scopes: ["repo"] });
    expect(replaced.document).toMatchObject({ scopes: ["repo"] });
    expect(replaced.document).not.toHaveProperty("clientSecret");
    expect(await storedSecret("octo")).toBe("octo-secret");
    const fresh = await failure(admin.replace(OPERATOR, appId, "other", { ...withoutSecret, id: "other" }));
    expect(fresh.issues?.map((issue) => issue.path)).toEqual(["clientSecret"]);
  });

  it("update: null removes a field, the id cannot change, enabled toggles; each change is published", async () => {
    await admin.create(OPERATOR, appId, { ...octo, scopes: ["repo"], displayName: "Octo" });
    published.length = 0;
    const patched = await admin.update(OPERATOR, appId, "octo", { scopes: null, enabled: false });
    expect(patched.document).not.toHaveProperty("scopes");
    expect(patched.document.displayName).toBe("Octo");
    expect(patched.enabled).toBe(false);
    expect(published).toEqual([appId, appId]);
    expect((await failure(admin.update(OPERATOR, appId, "octo", { id: "renamed" }))).code).toBe(
      "invalid_request",
    );
    expect((await failure(admin.update(OPERATOR, appId, "nope", { scopes: null }))).code).toBe("not_found");
    expect((await auditTypes()).slice(-2)).toEqual(["provider.updated", "provider.disabled"]);
  });

  it("import is idempotent: a second run changes nothing and records nothing", async () => {
    const github = { id: "github", catalog: "github", clientId: "gh", clientSecret: "gh-secret" } as const;
    expect(await admin.import(OPERATOR, appId, [github, octo])).toEqual({
      created: ["github", "octo"],
      updated: [],
      unchanged: [],
    });
    const recorded = (await auditTypes()).length;
    expect(await admin.import(OPERATOR, appId, [octo, github])).toEqual({
      created: [],
      updated: [],
      unchanged: ["octo", "github"],
    });
    expect(await auditTypes()).toHaveLength(recorded);
    const rotated = await admin.import(OPERATOR, appId, [{ ...github, clientSecret: "gh-secret-2" }]);
    expect(rotated.updated).toEqual(["github"]);
    const last = (await store.audit.list(appId, {}, 1))[0];
    expect(JSON.parse(String(last?.details))).toMatchObject({ changed: ["clientSecret"] });
    expect(JSON.stringify(await store.audit.list(appId, {}, 100))).not.toContain("gh-secret");
  });

  it("fails closed: a change whose audit row cannot be written is undone", async () => {
    await admin.create(OPERATOR, appId, octo);
    await breakAudit();
    expect((await failure(admin.create(OPERATOR, appId, { ...octo, id: "second" }))).code).toBe(
      "audit_unavailable",
    );
    expect(await store.providers.get(appId, "second")).toBeNull();
    await failure(admin.update(OPERATOR, appId, "octo", { clientId: "changed", enabled: false }));
    const row = await store.providers.get(appId, "octo");
    expect(row?.config.clientId).toBe("octo-client");
    expect(row?.enabled).toBe(true);
    await failure(admin.delete(OPERATOR, appId, "octo"));
    expect(await store.providers.get(appId, "octo")).not.toBeNull();
  });
});

describe("IdentityProviderAdmin", () => {
  const sso = { issuer: "https://sso.example.com", clientId: "app-sign-in", clientSecret: "sso-secret" };

  it("imports idempotently and keeps the secret when a document is re-sent without it", async () => {
    expect(await identity.import(OPERATOR, appId, { ...sso, app: appId })).toBe("created");
    expect(await identity.import(OPERATOR, appId, { ...sso, app: appId })).toBe("unchanged");
    const { clientSecret: _secret, ...withoutSecret } = sso;
    const view = await identity.put(OPERATOR, appId, { ...withoutSecret, audience: "api" });
    expect(view.document).toEqual({ issuer: sso.issuer, clientId: sso.clientId, audience: "api" });
    expect(await identity.import(OPERATOR, appId, { ...sso, app: appId })).toBe("updated");
    const refused = await failure(identity.put(OPERATOR, appId, { ...sso, app: "another" }));
    expect(refused.issues?.map((issue) => issue.path)).toEqual(["app"]);
  });

  it("fails closed: a change whose audit row cannot be written is undone", async () => {
    await identity.put(OPERATOR, appId, sso);
    await breakAudit();
    await failure(identity.update(OPERATOR, appId, { clientId: "other" }));
    expect((await identity.get(appId)).document.clientId).toBe("app-sign-in");
    await failure(identity.delete(OPERATOR, appId));
    expect((await identity.get(appId)).enabled).toBe(true);
  });
});
