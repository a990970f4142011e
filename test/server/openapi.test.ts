import { readFile } from "node:fs/promises";
import { API_OPERATIONS, OPENAPI_EXCLUDED_ROUTES } from "@grantvault/protocol";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../packages/server/src/ids.js";
import { type Json, openApiDocument, validatorFor } from "../harness/openapi-contract.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * The OpenAPI contract (issue 13, item 2): the committed file is current, every route the server
 * registers is documented (or excluded with a reason), and real answers validate against it.
 */

const document = openApiDocument;

let vault: TestVault;
let key: string;
let appId: string;

beforeAll(async () => {
  vault = await startTestVault({
    providers: [{ id: "github", catalog: "github", clientId: "Iv1.abc", clientSecret: "s3cret-value" }],
    // Every optional route registered too: /metrics exists on the main port only with its token.
    settings: { GRANTVAULT_METRICS_TOKEN: "metrics-token-for-the-openapi-test" },
  });
  const created = await vault.apiKeys.createApp("openapi app");
  key = created.apiKey.plaintext;
  appId = created.app.id;
});
afterAll(() => vault.close());

describe("OpenAPI document", () => {
  it("docs/openapi.json is the generated document (run `npm run openapi` after an API change)", async () => {
    const committed = JSON.parse(await readFile(new URL("../../docs/openapi.json", import.meta.url), "utf8"));
    expect(committed).toStrictEqual(document);
  });

  it("is served at GET /openapi.json without an API key", async () => {
    const response = await vault.app.inject({ method: "GET", url: "/openapi.json" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(response.json()).toStrictEqual(document);
  });

  it("is a valid JSON Schema set: every schema compiles under draft 2020-12", () => {
    // Not vacuous: a wrong body fails.
    expect(validatorFor("/v1/app", "get", 200)({ app_id: "app_1" })).toBe(false);
    for (const operation of API_OPERATIONS) {
      const responses: Json = document.paths[operation.path][operation.method].responses;
      for (const [status, response] of Object.entries(responses)) {
        // Answers without a fixed JSON body: this document, and proxy mode's provider answer.
        if (!response.$ref && !response.content) continue;
        expect(() => validatorFor(operation.path, operation.method, Number(status))).not.toThrow();
      }
    }
  });

  it("lists every error code of the registry with its status", () => {
    const registry = document.components.schemas.ErrorBody["x-error-codes"];
    for (const [name, response] of Object.entries(document.components.responses as Json)) {
      const codes: string[] =
        response.content["application/json"].schema.allOf[1].properties.error.properties.code.enum;
      for (const code of codes) expect(`Error${registry[code].status}`).toBe(name);
    }
    const listed = Object.values(document.components.responses as Json).flatMap(
      (response) =>
        response.content["application/json"].schema.allOf[1].properties.error.properties.code.enum,
    );
    expect(listed.sort()).toStrictEqual(Object.keys(registry).sort());
  });

  it("documents every route the server registers, and no route it does not", () => {
    const excluded = new Set(OPENAPI_EXCLUDED_ROUTES.map((route) => `${route.method} ${route.path}`));
    const documented = new Set(
      Object.entries(document.paths as Json).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const registered = registeredRoutes(vault.app.printRoutes({ commonPrefix: false }));
    expect(registered.length).toBeGreaterThan(15);
    const undocumented = registered.filter((route) => !documented.has(route) && !excluded.has(route));
    expect(undocumented).toStrictEqual([]);
    for (const route of [...documented, ...excluded]) expect(registered).toContain(route);
  });
});

describe("real answers validate against the document", () => {
  const bearer = () => ({ authorization: `Bearer ${key}` });

  it("health, app, API keys", async () => {
    await check("/healthz", "get", await vault.app.inject({ method: "GET", url: "/healthz" }));
    await check("/readyz", "get", await vault.app.inject({ method: "GET", url: "/readyz" }));
    await check(
      "/v1/app",
      "get",
      await vault.app.inject({ method: "GET", url: "/v1/app", headers: bearer() }),
    );
    const created = await vault.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: bearer(),
      payload: { name: "second", scopes: ["use"] },
    });
    await check("/v1/api-keys", "post", created, 201);
    const revoked = await vault.app.inject({
      method: "DELETE",
      url: `/v1/api-keys/${created.json().api_key_id}`,
      headers: bearer(),
    });
    await check("/v1/api-keys/{id}", "delete", revoked);
  });

  it("connect session: create, read by id and by token", async () => {
    const created = await vault.app.inject({
      method: "POST",
      url: "/v1/connect/sessions",
      headers: bearer(),
      payload: { allowed_providers: ["github"], grant_policy: { max_ttl_seconds: 3600 } },
    });
    await check("/v1/connect/sessions", "post", created, 201);
    const { session_id, session_token } = created.json();
    const byId = await vault.app.inject({
      method: "GET",
      url: `/v1/connect/sessions/${session_id}`,
      headers: bearer(),
    });
    await check("/v1/connect/sessions/{id}", "get", byId);
    const byToken = await vault.app.inject({ method: "GET", url: `/connect/${session_token}/status` });
    await check("/connect/{token}/status", "get", byToken);
  });

  it("grants: list, get, revoke; and the audit log", async () => {
    const grantId = newId("grant");
    const now = vault.clock.now();
    await vault.store.grants.insert({
      id: grantId,
      appId,
      providerId: "github",
      accountIdentifier: "octocat",
      scopes: ["read:user"],
      status: "active",
      expiresAt: now + 3600_000,
      lastUsedAt: null,
      createdAt: now,
      updatedAt: now,
      grantPolicy: { maxTtlSeconds: 7200 },
      statusReason: null,
      accountSubject: null,
      userSubject: null,
    });
    const list = await vault.app.inject({ method: "GET", url: "/v1/grants?limit=10", headers: bearer() });
    expect(list.json().grants).toHaveLength(1);
    await check("/v1/grants", "get", list);
    await check(
      "/v1/grants/{id}",
      "get",
      await vault.app.inject({ method: "GET", url: `/v1/grants/${grantId}`, headers: bearer() }),
    );
    const revoked = await vault.app.inject({
      method: "DELETE",
      url: `/v1/grants/${grantId}`,
      headers: bearer(),
      payload: { reason: "contract test" },
    });
    await check("/v1/grants/{id}", "delete", revoked);
    const audit = await vault.app.inject({ method: "GET", url: "/v1/audit", headers: bearer() });
    expect(audit.json().events.length).toBeGreaterThan(0);
    await check("/v1/audit", "get", audit);
  });

  it("error answers: missing key, invalid body with issues, unknown grant, refused grant use, no route", async () => {
    await check("/v1/app", "get", await vault.app.inject({ method: "GET", url: "/v1/app" }), 401);
    const invalid = await vault.app.inject({
      method: "POST",
      url: "/v1/connect/sessions",
      headers: bearer(),
      payload: { allowed_providers: ["NOT A PROVIDER"] },
    });
    expect(invalid.json().error.issues.length).toBeGreaterThan(0);
    await check("/v1/connect/sessions", "post", invalid, 400);
    const unknown = await vault.app.inject({
      method: "GET",
      url: `/v1/grants/${newId("grant")}`,
      headers: bearer(),
    });
    await check("/v1/grants/{id}", "get", unknown, 404);
    const refused = await vault.app.inject({
      method: "POST",
      url: `/v1/grants/${newId("grant")}/credential`,
      headers: bearer(),
      payload: { method: "GET", url: "https://api.github.com/user" },
    });
    await check("/v1/grants/{id}/credential", "post", refused, 404);
    const noRoute = await vault.app.inject({ method: "GET", url: "/v1/nothing-here", headers: bearer() });
    expect(noRoute.json().error.code).toBe("route_not_found");
    await check("/v1/app", "get", noRoute, 404);
  });
});

async function check(path: string, method: string, response: LightMyRequestResponse, status = 200) {
  expect(response.statusCode, response.body).toBe(status);
  const validate = validatorFor(path, method, status);
  const valid = validate(response.json());
  expect(valid ? [] : validate.errors, response.body).toStrictEqual([]);
}

/**
 * `METHOD /path` of every route, from Fastify's route tree (children print relative to their
 * parent, 4 columns deeper). HEAD is left out: Fastify adds it to every GET.
 */
function registeredRoutes(tree: string): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? "").length / 4;
    stack.length = depth;
    const full = `${stack.at(-1) ?? ""}${match[2]}`;
    stack.push(full);
    const path = full.replace(/:(\w+)/g, "{$1}");
    for (const method of (match[3] ?? "").split(", ").filter(Boolean)) {
      if (method !== "HEAD") routes.push(`${method} ${path}`);
    }
  }
  return routes;
}
