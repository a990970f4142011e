import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyManagement } from "../../packages/server/src/testing.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { freePort } from "../harness/free-port.js";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { contractProblems } from "../harness/openapi-contract.js";
import { type ResourceApi, startResourceApi } from "../harness/resource-api.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15: two apps of one vault, each with its own OAuth client for the same provider id,
 * configured over the admin API. Each app's users connect through that app's client (the real
 * node-oidc-provider issues the tokens to it), and each app's operator disables or deletes its
 * provider without touching the other app.
 */

interface App {
  id: string;
  apiKey: string;
  client: { client_id: string; client_secret: string };
}

let browser: Browser;
let oauth: OAuthProvider;
let api: ResourceApi;
let vault: TestVault;
let baseUrl: string;
let alpha: App;
let beta: App;
const problems: string[] = [];

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  const client = (name: string) => ({
    client_id: `${name}-client`,
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/oauth/callback/idp`],
  });
  const clients = [client("alpha"), client("beta")] as const;
  [browser, oauth] = await Promise.all([
    launchBrowser(),
    startOAuthProvider({ clients: [...clients], scopes: ["repo"] }),
  ]);
  api = await startResourceApi({ oauth });
  vault = await startTestVault({ publicUrl: baseUrl });
  await vault.app.listen({ host: "127.0.0.1", port });
  const management = ApiKeyManagement.forStore(vault.store, vault.clock, vault.keys);
  const apps: App[] = [];
  for (const [index, name] of ["alpha", "beta"].entries()) {
    const { app, apiKey } = await management.createApp(name);
    apps.push({ id: app.id, apiKey: apiKey.plaintext, client: clients[index] as App["client"] });
  }
  [alpha, beta] = apps as [App, App];
  for (const app of apps) {
    const created = await call(app, "POST", `/v1/apps/${app.id}/providers`, {
      id: "idp",
      type: "oidc",
      displayName: "Test IdP",
      issuer: oauth.issuer,
      apiBaseUrls: [api.baseUrl],
      clientId: app.client.client_id,
      clientSecret: app.client.client_secret,
    });
    if (created.status !== 201) throw new Error(`creating the provider answered ${created.status}`);
  }
});
afterAll(async () => {
  await browser?.close();
  await vault?.close();
  await api?.stop();
  await oauth?.stop();
});

async function call(
  app: App,
  method: string,
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read by path in assertions.
): Promise<{ status: number; body: any; location: string | null }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    redirect: "manual",
    headers: {
      authorization: `Bearer ${app.apiKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  problems.push(...contractProblems(method, `${baseUrl}${path}`, response.status, parsed));
  return { status: response.status, body: parsed, location: response.headers.get("location") };
}

/** The access token the vault hands out for one call with the grant (retrieve mode). */
async function accessTokenOf(app: App, grantId: string): Promise<string> {
  const credential = await call(app, "POST", `/v1/grants/${grantId}/credential`, {
    method: "GET",
    url: `${api.baseUrl}/user`,
  });
  expect(credential.status).toBe(200);
  return String(credential.body.headers.authorization).replace(/^Bearer /, "");
}

/** The authorize URL the Connect page's start redirects a browser to. */
async function authorizeUrl(app: App): Promise<URL> {
  const session = await call(app, "POST", "/v1/connect/sessions", { allowed_providers: ["idp"] });
  expect(session.status).toBe(201);
  const start = await fetch(`${new URL(session.body.connect_url).href}/start`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: baseUrl },
    body: "provider=idp",
  });
  expect(start.status).toBe(303);
  return new URL(start.headers.get("location") ?? "");
}

describe("two apps, one provider id, two OAuth clients", () => {
  let alphaGrant: string;

  it("each app's Connect page sends the browser to the provider with the app's own client", async () => {
    expect((await authorizeUrl(alpha)).searchParams.get("client_id")).toBe("alpha-client");
    expect((await authorizeUrl(beta)).searchParams.get("client_id")).toBe("beta-client");
  });

  it("a full connect of each app lands at its own client: the provider issued each grant's tokens to it", async () => {
    alphaGrant = await connectAccount({ baseUrl, apiKey: alpha.apiKey }, browser, "idp", "alice");
    const betaGrant = await connectAccount({ baseUrl, apiKey: beta.apiKey }, browser, "idp", "bob");
    const alphaToken = await oauth.introspect(await accessTokenOf(alpha, alphaGrant));
    const betaToken = await oauth.introspect(await accessTokenOf(beta, betaGrant));
    expect(alphaToken).toMatchObject({ active: true, sub: "alice", client_id: "alpha-client" });
    expect(betaToken).toMatchObject({ active: true, sub: "bob", client_id: "beta-client" });
    // Each app sees its own grant only.
    expect((await call(alpha, "GET", `/v1/grants/${betaGrant}`)).status).toBe(404);
  });

  it("a disabled provider is not offered and its grants are refused; the other app's is untouched", async () => {
    const disabled = await call(alpha, "PATCH", `/v1/apps/${alpha.id}/providers/idp`, { enabled: false });
    expect(disabled.body.enabled).toBe(false);
    const refused = await call(alpha, "POST", `/v1/grants/${alphaGrant}/credential`, {
      method: "GET",
      url: `${api.baseUrl}/user`,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("provider_disabled");
    const session = await call(alpha, "POST", "/v1/connect/sessions", { allowed_providers: ["idp"] });
    // Its only provider disabled, the app offers none at all.
    expect(session.body.error.code).toBe("no_providers_configured");
    expect((await authorizeUrl(beta)).searchParams.get("client_id")).toBe("beta-client");

    await call(alpha, "PATCH", `/v1/apps/${alpha.id}/providers/idp`, { enabled: true });
    expect(await oauth.introspect(await accessTokenOf(alpha, alphaGrant))).toMatchObject({ active: true });
  });

  it("a deleted provider's grants are refused until it exists again", async () => {
    const deleted = await call(alpha, "DELETE", `/v1/apps/${alpha.id}/providers/idp`);
    expect(deleted.status).toBe(200);
    const refused = await call(alpha, "POST", `/v1/grants/${alphaGrant}/credential`, {
      method: "GET",
      url: `${api.baseUrl}/user`,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("reauth_required");
    const again = await call(alpha, "PUT", `/v1/apps/${alpha.id}/providers/idp`, {
      type: "oidc",
      issuer: oauth.issuer,
      apiBaseUrls: [api.baseUrl],
      clientId: alpha.client.client_id,
      clientSecret: alpha.client.client_secret,
    });
    expect(again.status).toBe(200);
    expect(await oauth.introspect(await accessTokenOf(alpha, alphaGrant))).toMatchObject({
      client_id: "alpha-client",
    });
  });

  it("every answer of the vault matched the OpenAPI document", () => {
    expect(problems).toEqual([]);
  });
});
