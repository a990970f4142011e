import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BODY_LIMIT_BYTES, newId } from "../../packages/server/src/testing.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

let vault: TestVault;
let keyA: string;
let appA: string;
let keyB: string;

beforeAll(async () => {
  vault = await startTestVault();
  const a = await vault.apiKeys.createApp("app A");
  const b = await vault.apiKeys.createApp("app B");
  keyA = a.apiKey.plaintext;
  appA = a.app.id;
  keyB = b.apiKey.plaintext;
});
afterAll(() => vault.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe("health", () => {
  it("answers /healthz and /readyz without an API key", async () => {
    for (const url of ["/healthz", "/readyz"]) {
      const response = await vault.app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toStrictEqual({ status: "ok" });
    }
  });
});

describe("API key authentication on /v1", () => {
  it("refuses a request without a key", async () => {
    const response = await vault.app.inject({ method: "GET", url: "/v1/app" });
    expect(response.statusCode).toBe(401);
    expect(response.json().error.code).toBe("missing_api_key");
  });

  it.each([
    ["an unknown key", "Bearer gv_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a key without the prefix", "Bearer abc"],
    ["a non-bearer scheme", "Basic dXNlcjpwYXNz"],
    ["an empty bearer", "Bearer "],
  ])("refuses %s with invalid_api_key", async (_name, authorization) => {
    const response = await vault.app.inject({ method: "GET", url: "/v1/app", headers: { authorization } });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toStrictEqual({
      error: { code: "invalid_api_key", message: "The API key is not valid." },
    });
  });

  it("resolves each key to its own app", async () => {
    const a = await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(keyA) });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toStrictEqual({ app_id: appA, name: "app A", api_key_prefix: keyA.slice(0, 16) });
    const b = await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(keyB) });
    expect(b.json().name).toBe("app B");
  });

  it("stops accepting a key the moment it is revoked", async () => {
    const created = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: bearer(keyA),
      payload: { name: "ci" },
    });
    expect(created.statusCode).toBe(201);
    const { api_key, api_key_id, app_id, name } = created.json();
    expect(api_key).toMatch(/^gv_live_[A-Za-z0-9_-]{43}$/);
    expect(app_id).toBe(appA);
    expect(name).toBe("ci");
    expect(
      (await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(api_key) })).statusCode,
    ).toBe(200);

    const revoked = await vault.app.inject({
      method: "DELETE",
      url: `/v1/api-keys/${api_key_id}`,
      headers: bearer(keyA),
    });
    expect(revoked.json()).toStrictEqual({ api_key_id, revoked: true });

    const after = await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(api_key) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe("api_key_revoked");
    // The other keys of the app keep working.
    expect(
      (await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(keyA) })).statusCode,
    ).toBe(200);
  });

  it("answers another app's key id as not found and leaves it working", async () => {
    const other = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: bearer(keyB),
      payload: {},
    });
    const { api_key, api_key_id } = other.json();
    const attempt = await vault.app.inject({
      method: "DELETE",
      url: `/v1/api-keys/${api_key_id}`,
      headers: bearer(keyA),
    });
    expect(attempt.statusCode).toBe(404);
    expect(attempt.json().error.code).toBe("not_found");
    expect(
      (await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(api_key) })).statusCode,
    ).toBe(200);
  });

  it("never stores or returns the whole key after creation", async () => {
    const created = (
      await vault.app.inject({ method: "POST", url: "/v1/api-keys", headers: bearer(keyA), payload: {} })
    ).json();
    const rows = await vault.store.db.selectFrom("api_keys").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(created.api_key);
    expect(JSON.stringify(rows)).toContain(created.prefix);
  });
});

describe("API key on the grant-use routes (checked in the query that reads the grant)", () => {
  /** A grant of app A whose provider is not configured: a call that gets past the key says reauth_required. */
  async function grantOfA(): Promise<string> {
    const id = newId("grant");
    const now = vault.clock.now();
    await vault.store.grants.insert({
      id,
      appId: appA,
      providerId: "gone",
      accountIdentifier: `user-${id}`,
      scopes: [],
      status: "active",
      expiresAt: null,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
      grantPolicy: null,
      statusReason: null,
      accountSubject: null,
      userSubject: null,
    });
    return id;
  }
  const routes = [
    (grantId: string) => ({
      method: "POST" as const,
      url: `/v1/grants/${grantId}/credential`,
      payload: { method: "GET", url: "https://api.example.com/user" },
    }),
    (grantId: string) => ({
      method: "POST" as const,
      url: `/v1/grants/${grantId}/proxy`,
      headers: { "grantvault-method": "GET", "grantvault-url": "https://api.example.com/user" },
    }),
  ];

  it.each(routes.map((route, index) => [index === 0 ? "credential" : "proxy", route] as const))(
    "%s: refuses a missing, unknown or revoked key, and finds no grant with another app's key",
    async (_name, route) => {
      const grantId = await grantOfA();
      const call = (authorization?: string) => {
        const request = route(grantId);
        return vault.app.inject({
          ...request,
          headers: {
            ...("headers" in request ? request.headers : {}),
            ...(authorization ? { authorization } : {}),
          },
        });
      };
      const codeOf = async (authorization?: string) => {
        const response = await call(authorization);
        return [response.statusCode, response.json().error?.code];
      };

      expect(await codeOf()).toEqual([401, "missing_api_key"]);
      expect(await codeOf("Bearer abc")).toEqual([401, "invalid_api_key"]);
      expect(await codeOf(`Bearer gv_live_${"A".repeat(43)}`)).toEqual([401, "invalid_api_key"]);
      expect(await codeOf(`Bearer ${keyB}`)).toEqual([404, "grant_not_found"]);
      // A key that cannot be one is refused before the body is read.
      const garbled = await vault.app.inject({
        method: "POST",
        url: `/v1/grants/${grantId}/credential`,
        headers: { authorization: `Bearer gv_live_${"A".repeat(42)}!`, "content-type": "application/json" },
        payload: "{not json",
      });
      expect([garbled.statusCode, garbled.json().error.code]).toEqual([401, "invalid_api_key"]);
      // The key passes: the refusal is about the grant's provider.
      const created = await vault.app.inject({
        method: "POST",
        url: "/v1/api-keys",
        headers: bearer(keyA),
        payload: {},
      });
      const { api_key, api_key_id } = created.json();
      expect(await codeOf(`Bearer ${api_key}`)).toEqual([403, "reauth_required"]);

      await vault.app.inject({ method: "DELETE", url: `/v1/api-keys/${api_key_id}`, headers: bearer(keyA) });
      expect(await codeOf(`Bearer ${api_key}`)).toEqual([401, "api_key_revoked"]);
    },
  );
});

describe("bad input gets a clean 4xx with a stable code", () => {
  it("unknown routes", async () => {
    const response = await vault.app.inject({
      method: "GET",
      url: "/v1/nothing-here",
      headers: bearer(keyA),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe("route_not_found");
    expect((await vault.app.inject({ method: "GET", url: "/nothing" })).json().error.code).toBe(
      "route_not_found",
    );
  });

  it("invalid JSON", async () => {
    const response = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...bearer(keyA), "content-type": "application/json" },
      payload: '{"name": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("invalid_json");
  });

  it("unknown fields and wrong types, every issue at once", async () => {
    const response = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: bearer(keyA),
      payload: { name: 42, admin: true },
    });
    expect(response.statusCode).toBe(400);
    const { error } = response.json();
    expect(error.code).toBe("invalid_request");
    expect(error.issues.map((issue: { path: string }) => issue.path).sort()).toStrictEqual(["", "name"]);
  });

  it("a malformed id in the path", async () => {
    const response = await vault.app.inject({
      method: "DELETE",
      url: "/v1/api-keys/not-a-key",
      headers: bearer(keyA),
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({ code: "invalid_request", issues: [{ path: "id" }] });
  });

  it("a body over the limit", async () => {
    const response = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...bearer(keyA), "content-type": "application/json" },
      payload: JSON.stringify({ name: "x".repeat(BODY_LIMIT_BYTES) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe("payload_too_large");
  });

  it("a body that is not JSON", async () => {
    const response = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: { ...bearer(keyA), "content-type": "application/x-www-form-urlencoded" },
      payload: "name=x",
    });
    expect(response.statusCode).toBe(415);
    expect(response.json().error.code).toBe("unsupported_media_type");
  });
});

describe("response headers", () => {
  it("forbid framing, sniffing, caching and referrers", async () => {
    const response = await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer(keyA) });
    expect(response.headers).toMatchObject({
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
    });
    expect(response.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  });
});

describe("readiness", () => {
  it("reports not_ready once the database is gone", async () => {
    const other = await (await import("../harness/vault-app.js")).startTestVault();
    await other.store.close();
    const response = await other.app.inject({ method: "GET", url: "/readyz" });
    expect(response.statusCode).toBe(503);
    expect(response.json().error.code).toBe("not_ready");
    expect((await other.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    await other.app.close();
  });
});
