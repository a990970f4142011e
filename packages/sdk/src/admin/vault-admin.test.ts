import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { VaultAdmin, VaultValueError } from "../index.js";

const API_KEY = "gv_live_adminclienttestkey0123456789abcdefghij";
const APP_ID = "app_0123456789abcdef01234567";
/** Nothing listens here: a call that reached the network would fail with a NetworkError. */
const NOWHERE = "http://127.0.0.1:1";

describe("VaultAdmin", () => {
  it("refuses ids that are not ids before any network call, never echoing a pasted key", async () => {
    const admin = new VaultAdmin({ apiKey: API_KEY, baseUrl: NOWHERE });
    for (const call of [
      admin.apps.get("../v1/grants"),
      admin.providers.get(APP_ID, "../../api-keys"),
      admin.providers.update(APP_ID, "GitHub", { enabled: false }),
      admin.identityProvider.get("app_x"),
      admin.apiKeys.get(APP_ID, API_KEY),
    ]) {
      const error = await call.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(VaultValueError);
      expect((error as Error).message).not.toContain(API_KEY);
    }
  });

  it("never shows the API key when serialised or inspected, nor through its namespaces", () => {
    const admin = new VaultAdmin({ apiKey: API_KEY, baseUrl: NOWHERE });
    expect(JSON.stringify(admin)).toBe(JSON.stringify({ baseUrl: NOWHERE }));
    expect(JSON.stringify(admin.providers)).not.toContain(API_KEY);
    expect(inspect(admin, { showHidden: true, depth: 5 })).not.toContain(API_KEY);
  });

  it("finds key and URL as `new Vault()` does: the local vault's credentials file", () => {
    const dir = mkdtempSync(join(tmpdir(), "gv-admin-local-"));
    mkdirSync(join(dir, ".grantvault"));
    writeFileSync(
      join(dir, ".grantvault", "credentials.json"),
      JSON.stringify({
        version: 1,
        url: "http://127.0.0.1:7999",
        api_key: API_KEY,
        app_id: APP_ID,
        app_name: "local",
      }),
      { mode: 0o600 },
    );
    const saved = { key: process.env.GRANTVAULT_API_KEY, url: process.env.GRANTVAULT_URL };
    const cwd = process.cwd();
    delete process.env.GRANTVAULT_API_KEY;
    delete process.env.GRANTVAULT_URL;
    process.chdir(dir);
    try {
      expect(new VaultAdmin().baseUrl).toBe("http://127.0.0.1:7999");
    } finally {
      process.chdir(cwd);
      if (saved.key !== undefined) process.env.GRANTVAULT_API_KEY = saved.key;
      if (saved.url !== undefined) process.env.GRANTVAULT_URL = saved.url;
    }
  });
});
