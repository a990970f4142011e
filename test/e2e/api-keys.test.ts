import { createHash } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Vault } from "../../packages/sdk/src/index.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import { type ApiResponse, callApi, type ErrorBody } from "./support.js";

/**
 * API keys over HTTP (security review 1, F4 and F5; issue 15 scopes): key management needs an
 * admin key and is audited; a key with only the `proxy` scope uses grants through the vault and is
 * never handed a token.
 */
let world: ConnectWorld;
let browser: Browser;
let grantId: string;

interface CreatedKey {
  api_key_id: string;
  api_key: string;
  prefix: string;
  scopes: string[];
}

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
  grantId = await connectAccount(world, browser, "octo", "alice");
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

async function createKey(body: unknown, apiKey = world.apiKey): Promise<ApiResponse<CreatedKey & ErrorBody>> {
  return callApi<CreatedKey & ErrorBody>(world, "POST", "/v1/api-keys", { body, apiKey });
}

async function auditTypes(): Promise<{ type: string; api_key_prefix: string | null; details: unknown }[]> {
  const listed = await callApi<{
    events: { type: string; api_key_prefix: string | null; details: unknown }[];
  }>(world, "GET", "/v1/audit?limit=200");
  return listed.body.events;
}

describe("API key management over HTTP", () => {
  it("F4: a key without admin cannot mint a successor or revoke the owner's key; both tries leave no key", async () => {
    const worker = await createKey({ name: "worker" });
    expect(worker.status).toBe(201);
    expect(worker.body.scopes).toEqual(["connect", "use", "proxy", "read"]);

    const backdoor = await createKey({ name: "backdoor" }, worker.body.api_key);
    expect(backdoor.status).toBe(403);
    expect(backdoor.body.error.code).toBe("insufficient_scope");

    const ownerKeyId = (await world.vault.store.apiKeys.findByHash(hashOf(world.apiKey)))?.id as string;
    const lockout = await callApi<ErrorBody>(world, "DELETE", `/v1/api-keys/${ownerKeyId}`, {
      apiKey: worker.body.api_key,
    });
    expect(lockout.status).toBe(403);
    expect(lockout.body.error.code).toBe("insufficient_scope");
    expect((await callApi(world, "GET", "/v1/app")).status).toBe(200);
  });

  it("F4: an admin key cannot grant more than it has, and creation and revocation are audited with the acting key", async () => {
    const narrow = await createKey({ name: "narrow admin", scopes: ["admin"] });
    expect(narrow.status).toBe(201);
    const escalate = await createKey({ scopes: ["admin", "use"] }, narrow.body.api_key);
    expect(escalate.status).toBe(403);
    expect(escalate.body.error.code).toBe("insufficient_scope");

    const made = await createKey({ name: "short-lived", scopes: ["admin"] }, narrow.body.api_key);
    expect(made.status).toBe(201);
    const revoked = await callApi(world, "DELETE", `/v1/api-keys/${made.body.api_key_id}`, {
      apiKey: narrow.body.api_key,
    });
    expect(revoked.status).toBe(200);

    const events = await auditTypes();
    const created = events.find(
      (event) =>
        event.type === "api_key.created" &&
        (event.details as { api_key_id?: string }).api_key_id === made.body.api_key_id,
    );
    expect(created).toMatchObject({
      api_key_prefix: narrow.body.prefix,
      details: { scopes: ["admin"], by: "api_key" },
    });
    const revocation = events.find(
      (event) =>
        event.type === "api_key.revoked" &&
        (event.details as { api_key_id?: string }).api_key_id === made.body.api_key_id,
    );
    expect(revocation).toMatchObject({ api_key_prefix: narrow.body.prefix });
    expect(JSON.stringify(events)).not.toContain(made.body.api_key);
  });

  it("F4: the app's last active admin key cannot be revoked over HTTP", async () => {
    const other = await world.vault.apiKeys.createApp("single key app");
    const only = await callApi<ErrorBody>(world, "DELETE", `/v1/api-keys/${other.apiKey.key.id}`, {
      apiKey: other.apiKey.plaintext,
    });
    expect(only.status).toBe(409);
    expect(only.body.error.code).toBe("last_api_key");
    expect((await callApi(world, "GET", "/v1/app", { apiKey: other.apiKey.plaintext })).status).toBe(200);
  });
});

describe("proxy-only keys", () => {
  it("F5: a proxy-only key is refused retrieve mode (insufficient_scope, audited) and works in proxy mode", async () => {
    const agentKey = await createKey({ name: "agent", scopes: ["proxy"] });
    const agent = new Vault({ apiKey: agentKey.body.api_key, baseUrl: world.baseUrl });

    const retrieve = await callApi<ErrorBody & { headers?: unknown }>(
      world,
      "POST",
      `/v1/grants/${grantId}/credential`,
      { apiKey: agentKey.body.api_key, body: { method: "GET", url: `${world.api.baseUrl}/user` } },
    );
    expect(retrieve.status).toBe(403);
    expect(retrieve.body.error.code).toBe("insufficient_scope");
    expect(retrieve.text).not.toMatch(/bearer/i);
    // Twice: the second call must not slip through a cached read of the grant either.
    await agent.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId });
    const again = await callApi<ErrorBody>(world, "POST", `/v1/grants/${grantId}/credential`, {
      apiKey: agentKey.body.api_key,
      body: { method: "GET", url: `${world.api.baseUrl}/user` },
    });
    expect(again.body.error.code).toBe("insufficient_scope");
    await expect(agent.request("GET", `${world.api.baseUrl}/user`, { grantId })).rejects.toMatchObject({
      code: "insufficient_scope",
    });

    const proxied = await agent.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId });
    expect(proxied.status).toBe(200);
    expect(await proxied.json()).toMatchObject({ login: "alice" });

    const refused = (await auditTypes()).find(
      (event) => event.type === "credential.refused" && event.api_key_prefix === agentKey.body.prefix,
    );
    expect(refused).toMatchObject({ details: { code: "insufficient_scope" } });
  });

  it("F5: a key with use still gets the credential (the default for keys minted over HTTP)", async () => {
    const worker = await createKey({ name: "script" });
    const granted = await callApi<{ headers: Record<string, string> }>(
      world,
      "POST",
      `/v1/grants/${grantId}/credential`,
      { apiKey: worker.body.api_key, body: { method: "GET", url: `${world.api.baseUrl}/user` } },
    );
    expect(granted.status).toBe(200);
    expect(granted.body.headers.authorization).toMatch(/^Bearer /);
  });
});

function hashOf(apiKey: string): string {
  return createHash("sha256").update(apiKey).digest("hex");
}
