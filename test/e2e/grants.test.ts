import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrantNotFoundError, Vault, VaultValueError } from "../../packages/sdk/src/index.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

let world: ConnectWorld;
let browser: Browser;
let vault: Vault;
const grantIds: Record<string, string> = {};

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  grantIds.octoAlice = await connectAccount(world, browser, "octo", "alice");
  world.vault.clock.advance(1_000);
  grantIds.idpBob = await connectAccount(world, browser, "idp", "bob", { default_ttl_seconds: 3600 });
  world.vault.clock.advance(1_000);
  grantIds.octoCarol = await connectAccount(world, browser, "octo", "carol");
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describe("grant management", () => {
  it("lists the app's grants newest first, with filters", async () => {
    const all = await vault.listGrants();
    expect(all.grants.map((grant) => grant.grantId)).toStrictEqual([
      grantIds.octoCarol,
      grantIds.idpBob,
      grantIds.octoAlice,
    ]);
    expect(all.nextCursor).toBeNull();
    const octo = await vault.listGrants({ providerId: "octo" });
    expect(octo.grants.map((grant) => grant.accountIdentifier)).toStrictEqual(["carol", "alice"]);
    const bob = await vault.listGrants({ accountIdentifier: "bob@example.test" });
    expect(bob.grants).toHaveLength(1);
    expect(bob.grants[0]).toMatchObject({
      providerId: "idp",
      status: "active",
      grantPolicy: { defaultTtlSeconds: 3600 },
    });
  });

  it("pages with an opaque cursor and refuses a forged one", async () => {
    const first = await vault.listGrants({ limit: 2 });
    expect(first.grants).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await vault.listGrants({ limit: 2, cursor: first.nextCursor as string });
    expect(second.grants.map((grant) => grant.grantId)).toStrictEqual([grantIds.octoAlice]);
    expect(second.nextCursor).toBeNull();
    const forged = await fetch(`${world.baseUrl}/v1/grants?cursor=bm9wZQ`, {
      headers: { authorization: `Bearer ${world.apiKey}` },
    });
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("invalid_cursor");
  });

  it("shows one grant, never its tokens", async () => {
    const grant = await vault.getGrant(grantIds.octoAlice as string);
    expect(grant).toMatchObject({
      grantId: grantIds.octoAlice,
      providerId: "octo",
      accountIdentifier: "alice",
      scopes: ["repo", "read:user"],
      status: "active",
      statusReason: null,
      expiresAt: null,
    });
    expect(grant.createdAt).toBeInstanceOf(Date);
    const raw = await fetch(`${world.baseUrl}/v1/grants/${grantIds.octoAlice}`, {
      headers: { authorization: `Bearer ${world.apiKey}` },
    });
    expect(await raw.text()).not.toMatch(/token/i);
  });

  it("answers another app's grant as not found, everywhere", async () => {
    const other = await world.vault.apiKeys.createApp("other app");
    const stranger = new Vault({ apiKey: other.apiKey.plaintext, baseUrl: world.baseUrl });
    await expect(stranger.getGrant(grantIds.octoAlice as string)).rejects.toBeInstanceOf(GrantNotFoundError);
    await expect(stranger.revokeGrant(grantIds.octoAlice as string)).rejects.toBeInstanceOf(
      GrantNotFoundError,
    );
    expect((await stranger.listGrants()).grants).toStrictEqual([]);
    expect((await vault.getGrant(grantIds.octoAlice as string)).status).toBe("active");
  });

  it("derives `expired` from the grant policy's TTL", async () => {
    world.vault.clock.advance(3600 * 1000);
    expect((await vault.getGrant(grantIds.idpBob as string)).status).toBe("expired");
    const expired = await vault.listGrants({ status: "expired" });
    expect(expired.grants.map((grant) => grant.grantId)).toStrictEqual([grantIds.idpBob]);
    const active = await vault.listGrants({ status: "active" });
    expect(active.grants.map((grant) => grant.grantId)).not.toContain(grantIds.idpBob);
  });

  it("revokes: status and reason recorded, credentials deleted, tokens revoked at the provider", async () => {
    // The OpenID provider announces a revocation endpoint (RFC 7009) in its discovery document.
    const id = grantIds.idpBob as string;
    const before = world.oauth.requests().filter((request) => request.path === "/token/revocation").length;
    const revoked = await vault.revokeGrant(id, { reason: "user left the team" });
    expect(revoked).toMatchObject({ grantId: id, status: "revoked", statusReason: "user left the team" });
    const credentials = await world.vault.store.credentials.get(id);
    expect(credentials).toBeNull();
    const after = world.oauth.requests().filter((request) => request.path === "/token/revocation").length;
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(
      (await vault.listGrants({ status: "revoked" })).grants.map((grant) => grant.grantId),
    ).toStrictEqual([id]);
  });

  it("refuses a malformed grant id before any network call", async () => {
    await expect(vault.getGrant("../../etc/passwd")).rejects.toBeInstanceOf(VaultValueError);
    const response = await fetch(`${world.baseUrl}/v1/grants/not-a-grant`, {
      headers: { authorization: `Bearer ${world.apiKey}` },
    });
    expect(response.status).toBe(400);
  });
});
