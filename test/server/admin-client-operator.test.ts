import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Vault, VaultAdmin, VaultError } from "../../packages/sdk/src/index.js";
import { runCliInProcess } from "../harness/cli-in-process.js";
import { freePort } from "../harness/free-port.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15 item 6: `VaultAdmin` with an operator key (`grantvault-server operator-keys create`)
 * against the real admin routes over real HTTP: the vault-wide calls an app's key may not make
 * (create, disable, enable and delete apps), and an app set up from nothing by the client alone.
 */
let vault: TestVault;
let baseUrl: string;
let operator: VaultAdmin;
let existing: { id: string; key: string };

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  vault = await startTestVault({ publicUrl: baseUrl });
  await vault.app.listen({ host: "127.0.0.1", port });
  const created = await vault.apiKeys.createApp("existing app");
  existing = { id: created.app.id, key: created.apiKey.plaintext };
  const run = await runCliInProcess(["operator-keys", "create", "--name", "sdk test", "--json"], {
    GRANTVAULT_DATA_DIR: vault.dataDir,
    GRANTVAULT_LOG_LEVEL: "warn",
  });
  expect(run.code, run.err).toBe(0);
  operator = new VaultAdmin({
    apiKey: (JSON.parse(run.out) as { operator_key: string }).operator_key,
    baseUrl,
  });
});
afterAll(() => vault?.close());

async function failure(call: Promise<unknown>): Promise<VaultError> {
  const error = await call.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

describe("VaultAdmin with an operator key", () => {
  it("sets an app up from nothing: the app, its first key, a provider; the app then offers it", async () => {
    const { app, apiKey } = await operator.apps.create({
      name: "billing",
      allowedOrigins: ["https://billing.example.com"],
    });
    expect(app).toMatchObject({
      name: "billing",
      enabled: true,
      allowedOrigins: ["https://billing.example.com"],
    });
    expect(apiKey.apiKey).toMatch(/^gv_live_/);
    expect(apiKey.scopes).toContain("admin");
    expect((await operator.apps.list()).map((listed) => listed.appId)).toEqual(
      expect.arrayContaining([existing.id, app.appId]),
    );

    await operator.providers.create(app.appId, {
      id: "octo",
      type: "oauth2",
      authorizationUrl: "http://127.0.0.1:9/authorize",
      tokenUrl: "http://127.0.0.1:9/token",
      userinfoUrl: "http://127.0.0.1:9/user",
      clientId: "billing-client",
      clientSecret: "billing-client-secret-value",
    });
    const billing = new Vault({ apiKey: apiKey.apiKey, baseUrl });
    expect((await billing.getApp()).appId).toBe(app.appId);
    expect((await billing.listProviders()).map((provider) => provider.id)).toEqual(["octo"]);
    // The app's own first key administers it too.
    const own = new VaultAdmin({ apiKey: apiKey.apiKey, baseUrl });
    expect((await own.providers.list(app.appId)).map((provider) => provider.providerId)).toEqual(["octo"]);
    const minted = await operator.apiKeys.create(app.appId, { name: "worker", scopes: ["read"] });
    expect((await own.apiKeys.get(app.appId, minted.apiKeyId)).scopes).toEqual(["read"]);
  });

  it("disables an app (its keys refused), enables it again, and deletes it", async () => {
    const { app, apiKey } = await operator.apps.create({ name: "short-lived" });
    const client = new Vault({ apiKey: apiKey.apiKey, baseUrl });
    expect((await operator.apps.disable(app.appId)).enabled).toBe(false);
    expect((await failure(client.getApp())).code).toBe("app_disabled");
    expect((await operator.apps.enable(app.appId)).enabled).toBe(true);
    expect((await client.getApp()).appId).toBe(app.appId);
    await operator.apps.delete(app.appId);
    expect((await failure(operator.apps.get(app.appId))).code).toBe("not_found");
    expect((await failure(client.getApp())).code).toBe("invalid_api_key");
  });

  it("leaves app creation and deletion to operator keys", async () => {
    const appAdmin = new VaultAdmin({ apiKey: existing.key, baseUrl });
    expect((await failure(appAdmin.apps.create({ name: "not mine to make" }))).code).toBe(
      "insufficient_scope",
    );
    expect((await failure(appAdmin.apps.delete(existing.id))).code).toBe("insufficient_scope");
  });
});
