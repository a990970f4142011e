import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestVault, type TestVault } from "../../../test/harness/vault-app.js";
import { AuthenticationError, isVaultError, NetworkError, Vault, VaultValueError } from "./index.js";

let vault: TestVault;
let baseUrl: string;
let apiKey: string;

beforeAll(async () => {
  vault = await startTestVault();
  baseUrl = await vault.app.listen({ host: "127.0.0.1", port: 0 });
  const created = await vault.apiKeys.createApp("sdk test");
  apiKey = created.apiKey.plaintext;
});
afterAll(() => vault.close());

describe("Vault (SDK) against a real server", () => {
  it("resolves its app from the API key", async () => {
    const client = new Vault({ apiKey, baseUrl: `${baseUrl}/` });
    expect(await client.getApp()).toStrictEqual({
      appId: expect.stringMatching(/^app_/),
      name: "sdk test",
      apiKeyPrefix: apiKey.slice(0, 16),
    });
  });

  it("turns a refused key into an AuthenticationError with the registry code", async () => {
    const client = new Vault({ apiKey: "gv_live_wrong", baseUrl });
    const error = await client.getApp().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(isVaultError(error)).toBe(true);
    expect(error).toMatchObject({ code: "invalid_api_key", status: 401 });
  });

  it("reports an unreachable vault as a NetworkError", async () => {
    const client = new Vault({ apiKey, baseUrl: "http://127.0.0.1:1" });
    await expect(client.getApp()).rejects.toBeInstanceOf(NetworkError);
  });

  it("reports a vault that drops the connection mid-answer as a NetworkError, without waiting on", async () => {
    const dropping = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
      response.write('{"app_id":');
      setTimeout(() => response.socket?.destroy(), 10);
    });
    await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = dropping.address() as AddressInfo;
      const client = new Vault({ apiKey, baseUrl: `http://127.0.0.1:${port}` });
      await expect(client.getApp()).rejects.toBeInstanceOf(NetworkError);
    } finally {
      dropping.close();
    }
  });

  it("never shows the API key when serialised or inspected", () => {
    const client = new Vault({ apiKey, baseUrl });
    expect(JSON.stringify(client)).not.toContain(apiKey);
    expect(inspect(client, { showHidden: true, depth: 5 })).not.toContain(apiKey);
  });

  it("refuses to start without a key or with a bad URL, before any network call", () => {
    const saved = process.env.GRANTVAULT_API_KEY;
    const cwd = process.cwd();
    delete process.env.GRANTVAULT_API_KEY;
    // Away from any local vault's credentials file (a developer's `npm start` leaves one).
    process.chdir(mkdtempSync(join(tmpdir(), "gv-nokey-")));
    try {
      expect(() => new Vault({ baseUrl })).toThrow(VaultValueError);
    } finally {
      process.chdir(cwd);
      if (saved !== undefined) process.env.GRANTVAULT_API_KEY = saved;
    }
    expect(() => new Vault({ apiKey, baseUrl: "file:///etc/passwd" })).toThrow(/http\(s\) URL/);
  });

  it("refuses connection parameters of the wrong shape, before any network call", async () => {
    const client = new Vault({ apiKey, baseUrl: "http://127.0.0.1:1" });
    for (const connectionParams of [{ corp: { tenant: 1 } }, { corp: "acme" }, ["corp"]]) {
      const error = await client
        .createConnectSession({ connectionParams: connectionParams as never })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VaultValueError);
      expect((error as Error).message).toContain("connectionParams must map provider ids");
    }
  });

  it("says a malformed grant id is malformed (not missing), by its shape, before any network call", async () => {
    // Nothing listens here: a call that reached the network would fail differently.
    const client = new Vault({ apiKey, baseUrl: "http://127.0.0.1:1" });
    const url = "https://api.github.com/user";
    for (const call of [
      client.request("GET", url, { grantId: "not-a-grant" }),
      client.proxyRequest("GET", url, { grantId: "not-a-grant" }),
      client.listAuditEvents({ grantId: "not-a-grant" }),
    ]) {
      const error = await call.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VaultValueError);
      expect((error as Error).message).toBe(
        'grantId: not a grant id: got 11 character(s) that do not start with "grant_"; a grant id is "grant_" and 24 lowercase hex digits, e.g. grant_0123456789abcdef01234567',
      );
    }
    const pasted = await client.getGrant(apiKey).catch((caught: unknown) => caught);
    expect((pasted as Error).message).toContain("looks like an API key");
    expect((pasted as Error).message).not.toContain(apiKey);
    await expect(client.request("GET", url, {})).rejects.toThrow(/grantId is required/);
  });
});
