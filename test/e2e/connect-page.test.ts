import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

let world: ConnectWorld;
let browser: Browser;

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${world.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${world.apiKey}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown> & {
      connect_url: string;
      confirmation_code: string;
      session_id: string;
    },
  };
}

describe("connect session through the hosted page (browser)", () => {
  it("completes with the OIDC provider and reports the grant", async () => {
    const created = await api("POST", "/v1/connect/sessions", { allowed_providers: ["idp", "octo"] });
    expect(created.status).toBe(201);
    const page = await newPage(browser);
    try {
      const flow = await completeConnectFlow(page, created.body.connect_url, {
        provider: "idp",
        login: "alice",
      });
      expect(flow.result).toBe("success");
      expect(flow.confirmationCode).toBe(created.body.confirmation_code);
    } finally {
      await page.context().close();
    }
    const session = await api("GET", `/v1/connect/sessions/${created.body.session_id}`);
    expect(session.body).toMatchObject({
      status: "completed",
      results: [{ provider_id: "idp", account_identifier: "alice@example.test" }],
    });
  });

  it("completes with the plain OAuth 2.0 provider", async () => {
    const created = await api("POST", "/v1/connect/sessions", { allowed_providers: ["octo"] });
    const page = await newPage(browser);
    try {
      const flow = await completeConnectFlow(page, created.body.connect_url, {
        provider: "octo",
        login: "bob",
      });
      expect(flow.result, flow.text).toBe("success");
    } finally {
      await page.context().close();
    }
    const session = await api("GET", `/v1/connect/sessions/${created.body.session_id}?wait=5`);
    expect(session.body).toMatchObject({
      status: "completed",
      results: [{ provider_id: "octo", account_identifier: "bob", scopes: ["repo", "read:user"] }],
    });
  });
});
