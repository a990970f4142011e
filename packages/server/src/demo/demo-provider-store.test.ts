import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DemoProviderStore } from "./demo-provider-store.js";

describe("DemoProviderStore (the demo provider's oidc-provider adapter)", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gv-demo-store-"));
    file = join(dir, "provider.db");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("keeps entries across a reopen, in an owner-only file", async () => {
    const first = DemoProviderStore.open(file);
    await first.adapterFor("RefreshToken").upsert("rt1", { accountId: "rita", grantId: "g1" }, 3600);
    first.close();
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const reopened = DemoProviderStore.open(file);
    try {
      expect(await reopened.adapterFor("RefreshToken").find("rt1")).toStrictEqual({
        accountId: "rita",
        grantId: "g1",
      });
      // Models are separate namespaces.
      expect(await reopened.adapterFor("AccessToken").find("rt1")).toBeUndefined();
    } finally {
      reopened.close();
    }
  });

  it("finds by uid and user code, marks consumed, destroys, and revokes a grant's tokens", async () => {
    const store = DemoProviderStore.open(file);
    try {
      const sessions = store.adapterFor("Session");
      await sessions.upsert("s1", { uid: "u1", accountId: "rita" }, 60);
      expect(await sessions.findByUid("u1")).toMatchObject({ accountId: "rita" });

      const codes = store.adapterFor("DeviceCode");
      await codes.upsert("d1", { userCode: "ABCD" }, 60);
      expect(await codes.findByUserCode("ABCD")).toStrictEqual({ userCode: "ABCD" });

      const authCodes = store.adapterFor("AuthorizationCode");
      await authCodes.upsert("c1", { grantId: "g1" }, 60);
      await authCodes.consume("c1");
      expect((await authCodes.find("c1"))?.consumed).toEqual(expect.any(Number));

      const tokens = store.adapterFor("AccessToken");
      await tokens.upsert("a1", { grantId: "g1" }, 60);
      await tokens.upsert("a2", { grantId: "g2" }, 60);
      await tokens.upsert("a3", { grantId: "g1" }); // no expiry
      await tokens.revokeByGrantId("g1");
      expect(await tokens.find("a1")).toBeUndefined();
      expect(await tokens.find("a3")).toBeUndefined();
      expect(await tokens.find("a2")).toStrictEqual({ grantId: "g2" });
      // Only this model's entries of the grant: oidc-provider revokes model by model.
      expect(await authCodes.find("c1")).toBeDefined();

      await tokens.destroy("a2");
      expect(await tokens.find("a2")).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it("does not return expired entries, before or after a reopen", async () => {
    const store = DemoProviderStore.open(file);
    await store.adapterFor("AccessToken").upsert("gone", { grantId: "g1" }, -1);
    expect(await store.adapterFor("AccessToken").find("gone")).toBeUndefined();
    store.close();
    const reopened = DemoProviderStore.open(file);
    try {
      expect(await reopened.adapterFor("AccessToken").find("gone")).toBeUndefined();
    } finally {
      reopened.close();
    }
  });
});
