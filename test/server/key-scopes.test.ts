import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { API_KEY_SCOPES, type ApiKeyScope, ROUTE_ACCESS, type RouteAccess } from "@grantvault/protocol";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthenticationError,
  InsufficientScopeError,
  PolicyViolationError,
  Vault,
} from "../../packages/sdk/src/index.js";
import {
  ApiKeyService,
  CredentialStore,
  installErrorHandling,
  newId,
  OperatorKeyService,
  requireApiKey,
  requireAppAdmin,
  requireOperator,
} from "../../packages/server/src/testing.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Scoped keys over real HTTP (issue 15 item 4): every `/v1` route refuses a key lacking the scope
 * ROUTE_ACCESS names with 403 `insufficient_scope` and admits one that has it; keys expire, are
 * disabled and rescoped with effect on the next call (the hot paths too); operator keys manage
 * apps' keys and nothing else; app admin keys stay inside their app.
 */
let vault: TestVault;
let resource: Server;
let resourceUrl: string;
let baseUrl: string;
let appId: string;
let otherAppId: string;
let otherAppKeyId: string;
let fullKey: string;
let grantId: string;
/** One key per scope, with that scope alone. */
const keyWith = {} as Record<ApiKeyScope, string>;
let operatorKey: string;

beforeAll(async () => {
  resource = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => resource.listen(0, "127.0.0.1", resolve));
  resourceUrl = `http://127.0.0.1:${(resource.address() as AddressInfo).port}`;
  vault = await startTestVault({
    providers: [
      {
        id: "acme",
        type: "oauth2",
        clientId: "client",
        clientSecret: "secret",
        authorizationUrl: `${resourceUrl}/authorize`,
        tokenUrl: `${resourceUrl}/token`,
        userinfoUrl: `${resourceUrl}/me`,
        apiBaseUrls: [resourceUrl],
      },
    ],
  });
  baseUrl = await vault.app.listen({ port: 0, host: "127.0.0.1" });
  const { app, apiKey } = await vault.apiKeys.createApp("scoped app");
  appId = app.id;
  fullKey = apiKey.plaintext;
  const other = await vault.apiKeys.createApp("other app");
  otherAppId = other.app.id;
  otherAppKeyId = other.apiKey.key.id;
  for (const scope of API_KEY_SCOPES) {
    keyWith[scope] = (await vault.apiKeys.createKey(appId, `only ${scope}`, [scope])).plaintext;
  }
  operatorKey = (await new OperatorKeyService(vault.store, vault.clock).create("ops", null)).plaintext;

  grantId = newId("grant");
  const now = vault.clock.now();
  await vault.store.grants.insert({
    id: grantId,
    appId,
    providerId: "acme",
    accountIdentifier: "alice@example.com",
    accountSubject: "alice",
    scopes: [],
    status: "active",
    expiresAt: null,
    lastUsedAt: null,
    createdAt: now,
    updatedAt: now,
    grantPolicy: null,
    statusReason: null,
    userSubject: null,
  });
  await new CredentialStore(vault.store, vault.keys, vault.clock).save(grantId, {
    accessToken: "access-token-of-alice",
    tokenType: "Bearer",
    expiresAt: now + 24 * 3_600_000,
  });
});
afterAll(async () => {
  await vault?.close();
  await new Promise((resolve) => resource?.close(resolve));
});

interface Answer {
  status: number;
  text: string;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  key: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : {} };
}

/** A request for each route of the table, aimed so that an admitted key changes nothing that matters. */
function requestFor(
  method: string,
  template: string,
): { path: string; body?: unknown; headers?: Record<string, string> } {
  // Deleting an app is aimed at one that does not exist: an operator key is admitted (404).
  const deletesApp = method === "DELETE" && template === "/v1/apps/{app_id}";
  const path = template
    .replace("{app_id}", deletesApp ? newId("app") : appId)
    .replace("{key_id}", newId("key"))
    .replace("{provider_id}", "acme")
    .replace(
      "{id}",
      template.startsWith("/v1/grants/{id}/")
        ? grantId
        : template.startsWith("/v1/grants")
          ? newId("grant")
          : template.startsWith("/v1/api-keys")
            ? newId("key")
            : "sess_unknown",
    );
  if (template.endsWith("/proxy")) {
    return { path, headers: { "grantvault-method": "GET", "grantvault-url": `${resourceUrl}/data` } };
  }
  if (template.endsWith("/credential")) return { path, body: { method: "GET", url: `${resourceUrl}/data` } };
  if (method === "POST" && template.endsWith("/api-keys")) return { path, body: { scopes: [] } };
  if (method === "POST" || method === "PATCH" || method === "PUT") return { path, body: {} };
  return { path };
}

/** Creating and deleting apps: the route admits operator keys only, whatever an app key's scopes. */
const OPERATOR_ONLY = new Set(["POST /v1/apps", "DELETE /v1/apps/{app_id}"]);

function admits(route: string, access: RouteAccess, scope: ApiKeyScope): boolean {
  if (OPERATOR_ONLY.has(route)) return false;
  if (access.kind === "any_app_key") return true;
  if (access.kind === "admin") return scope === "admin";
  return access.anyOf.includes(scope);
}

describe("every /v1 route, by scope (ROUTE_ACCESS)", () => {
  const routes = Object.entries(ROUTE_ACCESS).map(([route, access]) => {
    const [method = "", template = ""] = route.split(" ");
    return { route, method, template, access };
  });

  it("refuses a key lacking the route's scope with 403 insufficient_scope naming it, and admits one that has it", async () => {
    const outcomes: Record<string, Record<string, string>> = {};
    const expected: Record<string, Record<string, string>> = {};
    let checked = 0;
    for (const { route, method, template, access } of routes) {
      const { path, ...request } = requestFor(method, template);
      // Routes of the table this build does not serve yet (the control plane's) are skipped.
      const probe = await call(method, path, fullKey, request);
      if (probe.body.error?.code === "route_not_found") continue;
      checked++;
      outcomes[route] = {};
      expected[route] = {};
      for (const scope of API_KEY_SCOPES) {
        const answer = await call(method, requestFor(method, template).path, keyWith[scope], request);
        const refused = answer.status === 403 && answer.body.error?.code === "insufficient_scope";
        outcomes[route][scope] = refused ? "refused" : answer.status === 401 ? "unauthenticated" : "admitted";
        expected[route][scope] = admits(route, access, scope) ? "admitted" : "refused";
        if (refused && access.kind === "scopes") {
          for (const needed of access.anyOf) expect(answer.body.error?.message).toContain(`\`${needed}\``);
        }
      }
    }
    expect(outcomes).toStrictEqual(expected);
    // Every route this build serves is in the table (else the server would not start) and was checked.
    expect(checked).toBeGreaterThanOrEqual(19);
  });

  it("refuses an operator key everywhere but the control plane, with a message saying what it is for", async () => {
    for (const { route, method, template, access } of routes) {
      const { path, ...request } = requestFor(method, template);
      const answer = await call(method, path, operatorKey, request);
      if (answer.body.error?.code === "route_not_found") continue;
      if (access.kind === "admin") {
        expect({ route, status: answer.status }).not.toMatchObject({ status: 403 });
      } else {
        expect({ route, status: answer.status, code: answer.body.error?.code }).toStrictEqual({
          route,
          status: 403,
          code: "insufficient_scope",
        });
        expect(answer.body.error?.message).toContain("Operator keys manage the vault");
      }
    }
  });

  it("a /v1 route missing from ROUTE_ACCESS stops the server from starting (fail closed)", async () => {
    const app = Fastify();
    app.register(
      async (v1) => {
        requireApiKey(v1, {
          apiKeys: new ApiKeyService(vault.store, vault.clock),
          operatorKeys: new OperatorKeyService(vault.store, vault.clock),
        });
        v1.get("/app", async () => ({}));
        v1.get("/unlisted", async () => ({}));
      },
      { prefix: "/v1" },
    );
    await expect(app.ready()).rejects.toThrow("GET /v1/unlisted has no entry in ROUTE_ACCESS");
  });

  it("uses a grant with use (both modes) or proxy (proxy mode only); a proxy key never sees the token", async () => {
    const credential = `/v1/grants/${grantId}/credential`;
    const target = { method: "GET", url: `${resourceUrl}/data` };
    const retrieved = await call("POST", credential, keyWith.use, { body: target });
    expect(retrieved.status).toBe(200);
    expect(retrieved.body.headers).toStrictEqual({ authorization: "Bearer access-token-of-alice" });
    for (let i = 0; i < 2; i++) {
      // Twice: the second must not slip through a remembered read of the grant.
      const refused = await call("POST", credential, keyWith.proxy, { body: target });
      expect(refused.status).toBe(403);
      expect(refused.body.error?.code).toBe("insufficient_scope");
      expect(refused.body.error?.message).toContain("`use`");
      expect(refused.text).not.toContain("access-token-of-alice");
    }
    for (const key of [keyWith.use, keyWith.proxy]) {
      const proxied = await call("POST", `/v1/grants/${grantId}/proxy`, key, {
        headers: { "grantvault-method": "GET", "grantvault-url": `${resourceUrl}/data` },
      });
      expect(proxied.status).toBe(200);
      expect(proxied.body).toStrictEqual({ ok: true });
    }
    // Another app's grant is refused for scope alike: a key learns nothing beyond its scopes.
    const unknown = await call("POST", `/v1/grants/${newId("grant")}/credential`, keyWith.read, {
      body: target,
    });
    expect(unknown.body.error?.code).toBe("insufficient_scope");
  });

  it("the SDKs' InsufficientScopeError: a PolicyViolationError with the code", async () => {
    const proxyOnly = new Vault({ apiKey: keyWith.proxy, baseUrl });
    const refusal = await proxyOnly
      .request("GET", `${resourceUrl}/data`, { grantId })
      .catch((error) => error);
    expect(refusal).toBeInstanceOf(InsufficientScopeError);
    expect(refusal).toBeInstanceOf(PolicyViolationError);
    expect(refusal).toMatchObject({ code: "insufficient_scope", status: 403 });
    const reader = new Vault({ apiKey: keyWith.read, baseUrl });
    await expect(reader.createConnectSession({})).rejects.toBeInstanceOf(InsufficientScopeError);
    expect((await reader.getApp()).appId).toBe(appId);
  });
});

describe("expiry, disabling and rescoping take effect on the next call", () => {
  async function mint(body: Record<string, unknown>, key = fullKey) {
    const created = await call("POST", "/v1/api-keys", key, { body });
    expect(created.status, created.text).toBe(201);
    return created.body as {
      api_key_id: string;
      api_key: string;
      prefix: string;
      scopes: string[];
      expires_at: string | null;
    };
  }
  const target = () => ({ body: { method: "GET", url: `${resourceUrl}/data` } });

  it("an expired key is refused with 401 api_key_expired, on the hot path too (AuthenticationError)", async () => {
    const expiresAt = new Date(vault.clock.now() + 3_600_000).toISOString();
    const key = await mint({ name: "hour", scopes: ["use", "read"], expires_at: expiresAt });
    expect(key.expires_at).toBe(expiresAt);
    const credential = `/v1/grants/${grantId}/credential`;
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);
    vault.clock.advance(3_600_000);
    for (const [method, path, options] of [
      ["POST", credential, target()],
      ["GET", "/v1/grants", {}],
    ] as const) {
      const answer = await call(method, path, key.api_key, options);
      expect(answer.status).toBe(401);
      expect(answer.body.error?.code).toBe("api_key_expired");
    }
    const sdk = new Vault({ apiKey: key.api_key, baseUrl });
    await expect(sdk.getApp()).rejects.toBeInstanceOf(AuthenticationError);
    const shown = await call("GET", `/v1/api-keys/${key.api_key_id}`, fullKey);
    expect(shown.body).toMatchObject({ status: "expired", expires_at: expiresAt });
    // An expiry in the past is a mistake, not a key.
    const past = await call("POST", "/v1/api-keys", fullKey, {
      body: { expires_at: new Date(vault.clock.now() - 1).toISOString() },
    });
    expect(past.status).toBe(400);
  });

  it("a disabled key is refused (api_key_disabled) until enabled; a rescoped key at once; all audited", async () => {
    const key = await mint({ name: "worker", scopes: ["use", "read"] });
    const credential = `/v1/grants/${grantId}/credential`;
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);

    const disabled = await call("PATCH", `/v1/api-keys/${key.api_key_id}`, fullKey, {
      body: { enabled: false },
    });
    expect(disabled.body).toMatchObject({ status: "disabled", api_key_id: key.api_key_id });
    expect((await call("POST", credential, key.api_key, target())).body.error?.code).toBe("api_key_disabled");
    expect((await call("GET", "/v1/grants", key.api_key)).body.error?.code).toBe("api_key_disabled");
    await call("PATCH", `/v1/api-keys/${key.api_key_id}`, fullKey, { body: { enabled: true } });
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);
    expect((await call("POST", credential, key.api_key, target())).status).toBe(200);

    const rescoped = await call("PATCH", `/v1/api-keys/${key.api_key_id}`, fullKey, {
      body: { scopes: ["proxy"], name: "agent" },
    });
    expect(rescoped.body).toMatchObject({ scopes: ["proxy"], name: "agent", status: "active" });
    expect((await call("POST", credential, key.api_key, target())).body.error?.code).toBe(
      "insufficient_scope",
    );

    const events = (await call("GET", "/v1/audit?limit=100", fullKey)).body.events as {
      type: string;
      details: Record<string, unknown> | null;
    }[];
    const mine = events
      .filter((event) => event.details?.api_key_id === key.api_key_id)
      .map((event) => event.type)
      .reverse();
    expect(mine).toStrictEqual(["api_key.created", "api_key.disabled", "api_key.enabled", "api_key.updated"]);
  });

  it("lists and shows keys by prefix only, never a key", async () => {
    const listed = await call("GET", "/v1/api-keys", fullKey);
    expect(listed.status).toBe(200);
    const keys = listed.body.api_keys as { api_key_id: string; app_id: string; prefix: string }[];
    expect(keys.every((key) => key.app_id === appId)).toBe(true);
    expect(keys.length).toBeGreaterThanOrEqual(API_KEY_SCOPES.length + 1);
    for (const secret of [fullKey, ...Object.values(keyWith)]) expect(listed.text).not.toContain(secret);
  });
});

describe("administering keys: F4 and app isolation", () => {
  it("a key grants no scope it lacks, on creation or update", async () => {
    const narrow = await call("POST", "/v1/api-keys", fullKey, {
      body: { name: "narrow", scopes: ["admin", "read"] },
    });
    const narrowKey = narrow.body.api_key as string;
    const escalate = await call("POST", "/v1/api-keys", narrowKey, { body: { scopes: ["use"] } });
    expect(escalate.status).toBe(403);
    expect(escalate.body.error?.code).toBe("insufficient_scope");
    const reader = await call("POST", "/v1/api-keys", narrowKey, { body: { scopes: ["read"] } });
    expect(reader.status).toBe(201);
    const widen = await call("PATCH", `/v1/api-keys/${reader.body.api_key_id}`, narrowKey, {
      body: { scopes: ["read", "use"] },
    });
    expect(widen.status).toBe(403);
    expect(widen.body.error?.code).toBe("insufficient_scope");
    // With no scopes named, a key's key gets what it has of the default (all but admin).
    const defaulted = await call("POST", "/v1/api-keys", narrowKey, { body: {} });
    expect(defaulted.body.scopes).toStrictEqual(["read"]);
  });

  it("an app keeps an active admin key: no disabling, narrowing or deleting the last over HTTP", async () => {
    const { app, apiKey } = await vault.apiKeys.createApp("lone admin");
    const path = `/v1/apps/${app.id}/api-keys/${apiKey.key.id}`;
    for (const body of [{ enabled: false }, { scopes: ["read"] }]) {
      const answer = await call("PATCH", path, apiKey.plaintext, { body });
      expect(answer.status).toBe(409);
      expect(answer.body.error?.code).toBe("last_api_key");
    }
    expect((await call("DELETE", path, apiKey.plaintext)).body.error?.code).toBe("last_api_key");
    expect((await call("GET", "/v1/app", apiKey.plaintext)).status).toBe(200);
  });

  it("/v1/apps/{app_id}/api-keys: the app's admin key, not another app's (404), not without admin (403)", async () => {
    const own = await call("GET", `/v1/apps/${appId}/api-keys`, fullKey);
    expect(own.status).toBe(200);
    const foreign = await call("GET", `/v1/apps/${otherAppId}/api-keys`, fullKey);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error?.code).toBe("not_found");
    const foreignKey = await call("DELETE", `/v1/apps/${otherAppId}/api-keys/${otherAppKeyId}`, fullKey);
    expect(foreignKey.status).toBe(404);
    const notAdmin = await call("GET", `/v1/apps/${appId}/api-keys`, keyWith.read);
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body.error?.code).toBe("insufficient_scope");
  });

  it("an operator key administers any app's keys (audited with its prefix), and stops when revoked", async () => {
    const operators = new OperatorKeyService(vault.store, vault.clock);
    const { key, plaintext } = await operators.create("ci", null);
    const created = await call("POST", `/v1/apps/${otherAppId}/api-keys`, plaintext, {
      body: { name: "from ops" },
    });
    expect(created.status).toBe(201);
    expect(created.body.scopes).toStrictEqual([...API_KEY_SCOPES]);
    const keyPath = `/v1/apps/${otherAppId}/api-keys/${created.body.api_key_id}`;
    expect((await call("GET", keyPath, plaintext)).body).toMatchObject({
      name: "from ops",
      status: "active",
    });
    expect((await call("PATCH", keyPath, plaintext, { body: { scopes: ["read"] } })).body).toMatchObject({
      scopes: ["read"],
    });
    expect((await call("DELETE", keyPath, plaintext)).body).toStrictEqual({
      api_key_id: created.body.api_key_id,
      revoked: true,
    });
    const listed = await call("GET", `/v1/apps/${otherAppId}/api-keys`, plaintext);
    expect(
      (listed.body.api_keys as { status: string; api_key_id: string }[]).find(
        (k) => k.api_key_id === created.body.api_key_id,
      )?.status,
    ).toBe("revoked");
    const audit = await vault.store.audit.list(otherAppId, { type: "api_key.created" }, 10);
    expect(audit.find((row) => row.details?.includes(String(created.body.api_key_id)))?.api_key_prefix).toBe(
      key.prefix,
    );
    // Its own app routes and grants stay closed to it.
    expect((await call("GET", "/v1/api-keys", plaintext)).body.error?.code).toBe("insufficient_scope");

    await operators.revoke(key.id);
    const after = await call("GET", `/v1/apps/${otherAppId}/api-keys`, plaintext);
    expect(after.status).toBe(401);
    expect(after.body.error?.code).toBe("api_key_revoked");
  });
});

describe("the control plane's gates (requireAppAdmin, requireOperator), over HTTP", () => {
  it("admit an operator key to any app, an app's admin key to its own app only, app creation to operators", async () => {
    // The shapes of the admin routes (helper routes here; the real ones use the same two calls).
    const app = Fastify();
    app.decorateRequest("caller", null);
    installErrorHandling(app);
    await app.register(
      async (v1) => {
        requireApiKey(v1, {
          apiKeys: new ApiKeyService(vault.store, vault.clock),
          operatorKeys: new OperatorKeyService(vault.store, vault.clock),
        });
        v1.post("/apps", async (request) => ({ actor: requireOperator(request).kind }));
        v1.get<{ Params: { app_id: string } }>("/apps/:app_id", async (request) => ({
          actor: requireAppAdmin(request, request.params.app_id).kind,
        }));
      },
      { prefix: "/v1" },
    );
    const url = await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const ask = async (method: string, path: string, key: string) => {
        const response = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${key}` },
        });
        const body = (await response.json()) as { actor?: string; error?: { code: string } };
        return { status: response.status, actor: body.actor, code: body.error?.code };
      };
      expect(await ask("GET", `/v1/apps/${appId}`, operatorKey)).toMatchObject({
        status: 200,
        actor: "operator",
      });
      expect(await ask("GET", `/v1/apps/${otherAppId}`, operatorKey)).toMatchObject({ status: 200 });
      expect(await ask("GET", `/v1/apps/${appId}`, keyWith.admin)).toMatchObject({
        status: 200,
        actor: "api_key",
      });
      expect(await ask("GET", `/v1/apps/${otherAppId}`, keyWith.admin)).toMatchObject({
        status: 404,
        code: "not_found",
      });
      expect(await ask("GET", `/v1/apps/${appId}`, keyWith.read)).toMatchObject({
        status: 403,
        code: "insufficient_scope",
      });
      expect(await ask("POST", "/v1/apps", operatorKey)).toMatchObject({ status: 200, actor: "operator" });
      expect(await ask("POST", "/v1/apps", fullKey)).toMatchObject({
        status: 403,
        code: "insufficient_scope",
      });
    } finally {
      await app.close();
    }
  });
});
