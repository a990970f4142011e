import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GrantNotFoundError, Vault } from "../../packages/sdk/src/index.js";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import { contractCheckingFetch } from "../harness/openapi-contract.js";

/**
 * Issue 13, item 2: the vault's real answers in an end-to-end flow (real OAuth provider, Chromium,
 * real HTTP) validate against /openapi.json. Every JSON answer the SDK gets is checked.
 */

let world: ConnectWorld;
let browser: Browser;
const seen = { checked: [] as string[], problems: [] as string[] };

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describe("OpenAPI contract end to end", () => {
  it("every JSON answer of a connect, use, revoke and audit flow validates against the document", async () => {
    const vault = new Vault({
      apiKey: world.apiKey,
      baseUrl: world.baseUrl,
      fetch: contractCheckingFetch(world.baseUrl, seen),
    });
    await vault.getApp();
    expect((await vault.listProviders()).map((provider) => provider.id)).toContain("octo");
    const check = contractCheckingFetch(world.baseUrl, seen);
    const bearer = { headers: { authorization: `Bearer ${world.apiKey}` } };
    // A connect session through the real Connect page and provider, then read completed (results filled).
    const session = await vault.createConnectSession({
      allowedProviders: ["octo"],
      grantPolicy: { maxTtlSeconds: 3600 },
    });
    await check(`${world.baseUrl}/v1/connect/sessions/${session.sessionId}`, bearer);
    const page = await newPage(browser);
    try {
      const flow = await completeConnectFlow(page, session.connectUrl, { provider: "octo", login: "alice" });
      expect(flow.result).toBe("success");
    } finally {
      await page.context().close();
    }
    const completed = await check(
      `${world.baseUrl}/v1/connect/sessions/${session.sessionId}?wait=10`,
      bearer,
    );
    const grantId =
      ((await completed.json()) as { results: { grant_id: string }[] }).results[0]?.grant_id ?? "";
    const sessions = await vault.listGrants();
    expect(sessions.grants).toHaveLength(1);
    await vault.getGrant(grantId);
    const retrieved = await vault.request("GET", `${world.api.baseUrl}/user`, {
      grantId,
      reason: "contract",
    });
    expect(retrieved.status).toBe(200);
    const proxied = await vault.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId });
    expect(proxied.status).toBe(200);
    await vault.listAuditEvents();
    await vault.revokeGrant(grantId, { reason: "contract test" });
    await expect(vault.getGrant("grant_000000000000000000000000")).rejects.toBeInstanceOf(GrantNotFoundError);

    expect(seen.problems).toStrictEqual([]);
    expect(new Set(seen.checked)).toEqual(
      new Set([
        "GET /v1/app 200",
        "GET /v1/providers 200",
        "GET /v1/grants 200",
        "GET /v1/grants/{id} 200",
        "POST /v1/grants/{id}/credential 200",
        "GET /v1/audit 200",
        "DELETE /v1/grants/{id} 200",
        "GET /v1/grants/{id} 404",
        "POST /v1/connect/sessions 201",
        "GET /v1/connect/sessions/{id} 200",
      ]),
    );
  });
});
