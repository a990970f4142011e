import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AppProvider,
  InsufficientScopeError,
  Vault,
  VaultAdmin,
  VaultError,
} from "../../packages/sdk/src/index.js";
import { freePort } from "../harness/free-port.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15 item 6: the TypeScript SDK's admin client (`VaultAdmin`) against the real admin routes
 * over real HTTP, with an app's own key (the `admin` scope): every call it has for the app's
 * apps, providers and identity provider, typed answers, and refusals as the SDK's errors.
 */
let vault: TestVault;
let baseUrl: string;
let own: { id: string; key: string };
let other: { id: string; key: string };
let admin: VaultAdmin;

beforeAll(async () => {
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  vault = await startTestVault({ publicUrl: baseUrl });
  await vault.app.listen({ host: "127.0.0.1", port });
  const a = await vault.apiKeys.createApp("admin client app");
  const b = await vault.apiKeys.createApp("someone else's app");
  own = { id: a.app.id, key: a.apiKey.plaintext };
  other = { id: b.app.id, key: b.apiKey.plaintext };
  admin = new VaultAdmin({ apiKey: own.key, baseUrl });
});
afterAll(() => vault?.close());

/** A GitHub-like OAuth 2.0 provider on loopback (nothing listens: nobody connects here). */
const document = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: "oauth2" as const,
  displayName: "Octo",
  authorizationUrl: `http://127.0.0.1:9/${id}/authorize`,
  tokenUrl: `http://127.0.0.1:9/${id}/token`,
  userinfoUrl: `http://127.0.0.1:9/${id}/user`,
  scopes: ["repo"],
  clientId: `${id}-client`,
  clientSecret: `${id}-client-secret-value`,
  ...extra,
});

async function failure(call: Promise<unknown>): Promise<VaultError> {
  const error = await call.catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

describe("VaultAdmin.apps with an app's admin key", () => {
  it("lists and reads the key's own app, typed", async () => {
    const [listed, ...more] = await admin.apps.list();
    expect(more).toEqual([]);
    expect(listed).toStrictEqual({
      appId: own.id,
      name: "admin client app",
      enabled: true,
      allowedOrigins: [],
      userGrantsNeedUserToken: true,
      createdAt: expect.any(Date),
    });
    expect(await admin.apps.get(own.id)).toStrictEqual(listed);
  });

  it("updates only the fields given", async () => {
    const updated = await admin.apps.update(own.id, {
      name: "renamed app",
      allowedOrigins: ["https://app.example.com"],
    });
    expect(updated).toMatchObject({
      name: "renamed app",
      allowedOrigins: ["https://app.example.com"],
      userGrantsNeedUserToken: true,
    });
    const relaxed = await admin.apps.update(own.id, { userGrantsNeedUserToken: false });
    expect(relaxed).toMatchObject({ name: "renamed app", userGrantsNeedUserToken: false });
  });

  it("answers another app's id as not found, and app creation or deletion as out of scope", async () => {
    expect((await failure(admin.apps.get(other.id))).code).toBe("not_found");
    expect((await failure(admin.apps.update(other.id, { name: "mine now" }))).code).toBe("not_found");
    const creation = await failure(admin.apps.create({ name: "new app" }));
    expect(creation).toBeInstanceOf(InsufficientScopeError);
    expect(creation.code).toBe("insufficient_scope");
    expect((await failure(admin.apps.delete(own.id))).code).toBe("insufficient_scope");
    const invalid = await failure(admin.apps.update(own.id, { name: "", allowedOrigins: ["not an origin"] }));
    expect(invalid.code).toBe("invalid_request");
    expect(invalid.issues?.length).toBeGreaterThanOrEqual(2);
  });
});

describe("VaultAdmin.providers with an app's admin key", () => {
  it("creates, reads, changes, disables, enables, replaces and deletes a provider; never returns its secret", async () => {
    const created = await admin.providers.create(own.id, document("octo"));
    expect(created).toStrictEqual<AppProvider>({
      providerId: "octo",
      enabled: true,
      redirectUri: `${baseUrl}/v1/oauth/callback/octo`,
      createdAt: expect.any(Date),
      updatedAt: expect.any(Date),
      document: expect.objectContaining({ id: "octo", clientId: "octo-client", scopes: ["repo"] }),
    });
    expect(created.document).not.toHaveProperty("clientSecret");
    expect(JSON.stringify(await admin.providers.list(own.id))).not.toContain("octo-client-secret-value");
    expect(await admin.providers.get(own.id, "octo")).toStrictEqual(created);

    const app = new Vault({ apiKey: own.key, baseUrl });
    expect((await app.listProviders()).map((provider) => provider.id)).toEqual(["octo"]);

    const renamed = await admin.providers.update(own.id, "octo", { displayName: "Octo Enterprise" });
    expect(renamed.document.displayName).toBe("Octo Enterprise");
    expect((await app.listProviders())[0]?.displayName).toBe("Octo Enterprise");

    expect((await admin.providers.disable(own.id, "octo")).enabled).toBe(false);
    expect(await app.listProviders()).toEqual([]);
    expect((await admin.providers.enable(own.id, "octo")).enabled).toBe(true);
    expect((await app.listProviders()).map((provider) => provider.id)).toEqual(["octo"]);

    const { clientSecret: _kept, ...withoutSecret } = document("octo", { scopes: ["repo", "read:user"] });
    const replaced = await admin.providers.replace(own.id, "octo", withoutSecret);
    expect(replaced.document).toMatchObject({ scopes: ["repo", "read:user"], displayName: "Octo" });

    await admin.providers.delete(own.id, "octo");
    expect((await failure(admin.providers.get(own.id, "octo"))).code).toBe("not_found");
    expect(await admin.providers.list(own.id)).toEqual([]);
  });

  it("lists every problem of an invalid document, and keeps to the key's own app", async () => {
    const invalid = await failure(
      admin.providers.create(own.id, { id: "bad", type: "oauth2", clientId: "" } as never),
    );
    expect(invalid.code).toBe("invalid_request");
    expect(invalid.issues?.length).toBeGreaterThanOrEqual(3);
    const elsewhere = await failure(admin.providers.create(other.id, document("octo")));
    expect(elsewhere.code).toBe("not_found");
    const othersOwn = new VaultAdmin({ apiKey: other.key, baseUrl });
    expect(await othersOwn.providers.list(other.id)).toEqual([]);
  });
});

describe("VaultAdmin.identityProvider with an app's admin key", () => {
  it("sets, reads, changes and deletes the app's identity provider", async () => {
    expect((await failure(admin.identityProvider.get(own.id))).code).toBe("not_found");
    const set = await admin.identityProvider.set(own.id, {
      issuer: "http://127.0.0.1:9/issuer",
      clientId: "identity-client",
      clientSecret: "identity-client-secret-value",
      displayName: "Sign-in",
    });
    expect(set).toMatchObject({
      appId: own.id,
      enabled: true,
      redirectUri: `${baseUrl}/v1/auth/callback`,
      document: { issuer: "http://127.0.0.1:9/issuer", clientId: "identity-client" },
    });
    expect(JSON.stringify(set)).not.toContain("identity-client-secret-value");
    expect(await admin.identityProvider.get(own.id)).toStrictEqual(set);
    const changed = await admin.identityProvider.update(own.id, { displayName: "Company sign-in" });
    expect(changed.document.displayName).toBe("Company sign-in");
    await admin.identityProvider.delete(own.id);
    expect((await failure(admin.identityProvider.get(own.id))).code).toBe("not_found");
  });
});
