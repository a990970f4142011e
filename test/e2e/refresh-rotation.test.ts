import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Vault } from "../../packages/sdk/src/index.js";
import { CredentialStore, KeyringHolder } from "../../packages/server/src/testing.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";

/**
 * A provider that rotates refresh tokens (each refresh retires the one used). Two server processes
 * race to refresh the same grant: one refresh happens, the rotated refresh token is stored with the
 * new access token, and the next refresh — which must present the rotated token — works.
 */
let world: ConnectWorld;
let browser: Browser;
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  [world, browser] = await Promise.all([
    startConnectWorld({ databaseUrl: database.url, rotateRefreshTokens: true }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
  await database?.drop();
});

it("refresh-token rotation survives a race between two server processes", async () => {
  const vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  const grantId = await connectAccount(world, browser, "octo", "rita");
  const peer = await world.startPeer();
  const tokenCalls = () =>
    world.oauth.requests().filter((request) => request.method === "POST" && request.path === "/token").length;
  const viaPeer = () =>
    peer.app.inject({
      method: "POST",
      url: `/v1/grants/${grantId}/credential`,
      headers: { authorization: `Bearer ${world.apiKey}` },
      payload: { method: "GET", url: `${world.api.baseUrl}/user` },
    });

  const credentials = new CredentialStore(
    world.vault.store,
    new KeyringHolder(world.vault.keyring, { kind: "env" }),
    world.vault.clock,
  );
  const refreshTokens = [(await credentials.load(grantId))?.refreshToken];
  for (let round = 1; round <= 2; round++) {
    const before = tokenCalls();
    world.vault.clock.advance(3600 * 1000);
    peer.clock.advance(3600 * 1000);
    const [fromPeer, fromFirst] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, viaPeer)),
      Promise.all(
        Array.from({ length: 8 }, () => vault.request("GET", `${world.api.baseUrl}/user`, { grantId })),
      ),
    ]);
    expect(fromPeer.map((response) => response.statusCode)).toStrictEqual(Array(8).fill(200));
    expect(fromFirst.map((response) => response.status)).toStrictEqual(Array(8).fill(200));
    // One refresh per round: the second round presents the refresh token rotated in the first.
    expect(tokenCalls() - before).toBe(1);
    refreshTokens.push((await credentials.load(grantId))?.refreshToken);
  }
  // The provider really rotated: three different refresh tokens, each stored with its access token.
  expect(new Set(refreshTokens).size).toBe(3);
  expect((await vault.getGrant(grantId)).status).toBe("active");
});
