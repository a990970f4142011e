import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProviderDocument, Vault, VaultAdmin, VaultError } from "../../packages/sdk/src/index.js";
import type { ProviderConfig } from "../../packages/server/src/testing.js";
import { freePort } from "../harness/free-port.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15 item 5: each app offers its own providers. `GET /v1/providers` (and the SDK's
 * `listProviders()`) lists the caller app's enabled providers then the built-in ones, and the
 * hosted Connect page of an app never shows another app's provider, even when a session names it.
 */
let vault: TestVault;
let baseUrl: string;
const apps = { a: { id: "", key: "" }, b: { id: "", key: "" } };

/** Offered to every app, as the demo provider is. */
const BUILT_IN: ProviderConfig = {
  id: "shared",
  type: "oauth2",
  displayName: "Shared",
  authorizationUrl: "http://127.0.0.1:9/shared/authorize",
  tokenUrl: "http://127.0.0.1:9/shared/token",
  userinfoUrl: "http://127.0.0.1:9/shared/user",
  clientId: "shared-client",
  clientSecret: "shared-secret",
};

/** An app's own OAuth 2.0 provider on loopback (nothing listens: the tests never connect). */
function ownProvider(id: string, displayName: string): ProviderDocument {
  return {
    id,
    type: "oauth2",
    displayName,
    authorizationUrl: `http://127.0.0.1:9/${id}/authorize`,
    tokenUrl: `http://127.0.0.1:9/${id}/token`,
    userinfoUrl: `http://127.0.0.1:9/${id}/user`,
    scopes: [`${id}:read`],
    clientId: `${id}-client`,
    clientSecret: `${id}-secret-value`,
  };
}

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  vault = await startTestVault({ providers: [BUILT_IN], publicUrl: baseUrl });
  await vault.app.listen({ host: "127.0.0.1", port });
  for (const [name, app] of Object.entries(apps)) {
    const created = await vault.apiKeys.createApp(`app ${name}`);
    app.id = created.app.id;
    app.key = created.apiKey.plaintext;
  }
  // Each app's own admin key sets up its providers over the admin API.
  const admin = (app: { key: string }) => new VaultAdmin({ apiKey: app.key, baseUrl });
  await admin(apps.a).providers.create(apps.a.id, ownProvider("alpha", "Alpha"));
  await admin(apps.a).providers.create(apps.a.id, ownProvider("paused", "Paused"));
  await admin(apps.a).providers.disable(apps.a.id, "paused");
  await admin(apps.b).providers.create(apps.b.id, ownProvider("beta", "Beta"));
});
afterAll(() => vault?.close());

const client = (app: { key: string }) => new Vault({ apiKey: app.key, baseUrl });

describe("GET /v1/providers", () => {
  it("lists the app's own enabled providers, then the built-in ones, without any client detail", async () => {
    const response = await fetch(`${baseUrl}/v1/providers`, {
      headers: { authorization: `Bearer ${apps.a.key}` },
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(JSON.parse(text)).toStrictEqual({
      providers: [
        { id: "alpha", display_name: "Alpha", kind: "oauth2", scopes: ["alpha:read"], parameters: [] },
        { id: "shared", display_name: "Shared", kind: "oauth2", scopes: [], parameters: [] },
      ],
    });
    for (const secret of ["alpha-client", "alpha-secret-value", "shared-secret", "127.0.0.1:9"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("needs an API key", async () => {
    const response = await fetch(`${baseUrl}/v1/providers`);
    expect(response.status).toBe(401);
  });
});

describe("vault.listProviders()", () => {
  it("gives each app its own providers, typed", async () => {
    expect(await client(apps.a).listProviders()).toStrictEqual([
      { id: "alpha", displayName: "Alpha", kind: "oauth2", scopes: ["alpha:read"], parameters: [] },
      { id: "shared", displayName: "Shared", kind: "oauth2", scopes: [], parameters: [] },
    ]);
    const ofB = await client(apps.b).listProviders();
    expect(ofB.map((provider) => provider.id)).toEqual(["beta", "shared"]);
  });
});

describe("the hosted Connect page offers only the app's providers", () => {
  async function pageButtons(connectUrl: string): Promise<string[]> {
    const response = await fetch(connectUrl);
    expect(response.status).toBe(200);
    const html = await response.text();
    return [...html.matchAll(/data-provider="([^"]+)"/g)].map((match) => match[1] ?? "");
  }

  it("a session of app A may not name app B's provider (unknown_provider)", async () => {
    const refused = await client(apps.a)
      .createConnectSession({ allowedProviders: ["alpha", "beta"] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(VaultError);
    expect((refused as VaultError).code).toBe("unknown_provider");
    expect((refused as VaultError).issues).toEqual([
      { path: "allowed_providers", message: "beta is not configured" },
    ]);
    const disabled = await client(apps.a)
      .createConnectSession({ allowedProviders: ["paused"] })
      .catch((error: unknown) => error);
    expect((disabled as VaultError).code).toBe("unknown_provider");
  });

  it("without a list, app A's page shows its own and the built-in providers only", async () => {
    const session = await client(apps.a).createConnectSession();
    expect(await pageButtons(session.connectUrl)).toEqual(["alpha", "shared"]);
  });

  it("app A's page never lists app B's provider, even when the stored session names it", async () => {
    const session = await client(apps.a).createConnectSession({ allowedProviders: ["alpha"] });
    // A session row naming another app's provider (and a disabled one): what the API refuses to
    // write, as a stale or tampered row would have it.
    await vault.store.db
      .updateTable("connect_sessions")
      .set({ allowed_providers: JSON.stringify(["beta", "alpha", "paused"]) })
      .where("id", "=", session.sessionId)
      .execute();
    expect(await pageButtons(session.connectUrl)).toEqual(["alpha"]);
  });
});
