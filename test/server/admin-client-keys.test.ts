import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ApiKey,
  InsufficientScopeError,
  Vault,
  VaultAdmin,
  VaultError,
} from "../../packages/sdk/src/index.js";
import { freePort } from "../harness/free-port.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15 items 4 and 6: `VaultAdmin.apiKeys` against the real API-key admin routes
 * (`/v1/apps/{app_id}/api-keys`) over real HTTP, with an app's own admin key: every call, typed
 * answers, the whole key only at creation, a disabled or deleted key refused at once, and
 * refusals as the SDK's errors (InsufficientScopeError for a key without `admin`).
 */
let vault: TestVault;
let baseUrl: string;
let own: { id: string; key: string };
let otherId: string;
let admin: VaultAdmin;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  vault = await startTestVault({ publicUrl: baseUrl });
  await vault.app.listen({ host: "127.0.0.1", port });
  const created = await vault.apiKeys.createApp("keys app");
  own = { id: created.app.id, key: created.apiKey.plaintext };
  otherId = (await vault.apiKeys.createApp("other app")).app.id;
  admin = new VaultAdmin({ apiKey: own.key, baseUrl });
});
afterAll(() => vault?.close());

async function failure(call: Promise<unknown>): Promise<VaultError> {
  const error = await call.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

describe("VaultAdmin.apiKeys with an app's admin key", () => {
  it("creates, lists, reads, narrows, disables, enables and deletes a key", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const created = await admin.apiKeys.create(own.id, { name: "worker", scopes: ["read"], expiresAt });
    expect(created).toStrictEqual({
      apiKeyId: expect.stringMatching(/^key_[0-9a-f]{24}$/),
      appId: own.id,
      apiKey: expect.stringMatching(/^gv_live_/),
      prefix: created.apiKey.slice(0, created.prefix.length),
      name: "worker",
      scopes: ["read"],
      expiresAt: expect.any(Date),
    });
    expect(Math.abs((created.expiresAt?.getTime() ?? 0) - expiresAt.getTime())).toBeLessThan(1000);

    const listed = await admin.apiKeys.list(own.id);
    expect(listed.map((key) => key.apiKeyId)).toContain(created.apiKeyId);
    expect(JSON.stringify(listed)).not.toContain(created.apiKey);
    const shown = await admin.apiKeys.get(own.id, created.apiKeyId);
    expect(shown).toStrictEqual<ApiKey>({
      apiKeyId: created.apiKeyId,
      appId: own.id,
      name: "worker",
      prefix: created.prefix,
      scopes: ["read"],
      status: "active",
      createdAt: expect.any(Date),
      createdBy: expect.any(String),
      lastUsedAt: null,
      expiresAt: expect.any(Date),
      disabledAt: null,
      revokedAt: null,
    });

    const worker = new Vault({ apiKey: created.apiKey, baseUrl });
    expect((await worker.listGrants()).grants).toEqual([]);
    const renamed = await admin.apiKeys.update(own.id, created.apiKeyId, { name: "reader", expiresAt: null });
    expect(renamed).toMatchObject({ name: "reader", expiresAt: null, status: "active" });

    const disabled = await admin.apiKeys.disable(own.id, created.apiKeyId);
    expect(disabled.status).toBe("disabled");
    expect(disabled.disabledAt).toBeInstanceOf(Date);
    expect((await failure(worker.listGrants())).code).toBe("api_key_disabled");
    expect((await admin.apiKeys.enable(own.id, created.apiKeyId)).status).toBe("active");
    expect((await worker.listGrants()).grants).toEqual([]);

    await admin.apiKeys.delete(own.id, created.apiKeyId);
    expect((await failure(worker.listGrants())).code).toBe("api_key_revoked");
    expect((await admin.apiKeys.get(own.id, created.apiKeyId)).status).toBe("revoked");
  });

  it("refuses a key without admin with InsufficientScopeError, and another app's keys as not found", async () => {
    const reader = await admin.apiKeys.create(own.id, { scopes: ["read"] });
    const readerAdmin = new VaultAdmin({ apiKey: reader.apiKey, baseUrl });
    const refused = await failure(readerAdmin.apiKeys.list(own.id));
    expect(refused).toBeInstanceOf(InsufficientScopeError);
    expect(refused.code).toBe("insufficient_scope");
    expect((await failure(admin.apiKeys.list(otherId))).code).toBe("not_found");
    const escalation = await failure(
      new VaultAdmin({ apiKey: reader.apiKey, baseUrl }).apiKeys.create(own.id, { scopes: ["admin"] }),
    );
    expect(escalation).toBeInstanceOf(InsufficientScopeError);
  });
});
