import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ApiKeyManagement,
  bindingOf,
  OperatorKeyService,
  PROVIDER_SECRET_FIELD,
} from "../../packages/server/src/testing.js";
import { runCliInProcess } from "../harness/cli-in-process.js";
import { contractProblems } from "../harness/openapi-contract.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * The admin API (issue 15 item 3) over the vault's HTTP app: apps, their providers and identity
 * provider. Every JSON answer is checked against the OpenAPI document.
 */

let vault: TestVault;
let alpha: { id: string; key: string; prefix: string };
let beta: { id: string; key: string };
/** A key of alpha's without the admin scope. */
let alphaWorker: string;
const problems: string[] = [];

const ALPHA_SECRET = "alpha-client-secret-0f1e2d3c";
const ALPHA_SECRET_2 = "alpha-client-secret-rotated-9a8b";
const BETA_SECRET = "beta-client-secret-7c6b5a49";
const IDENTITY_SECRET = "identity-secret-55aa55aa";

beforeAll(async () => {
  vault = await startTestVault({ publicUrl: "http://127.0.0.1:4999" });
  const management = ApiKeyManagement.forStore(vault.store, vault.clock, vault.keys);
  const a = await management.createApp("alpha");
  const b = await management.createApp("beta");
  alpha = { id: a.app.id, key: a.apiKey.plaintext, prefix: a.apiKey.key.prefix };
  beta = { id: b.app.id, key: b.apiKey.plaintext };
  alphaWorker = (await vault.apiKeys.createKey(alpha.id, "worker", [])).plaintext;
});
afterAll(async () => {
  await vault?.close();
});

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies read by path in assertions.
  body: any;
  text: string;
}

async function call(method: string, url: string, key: string, body?: unknown): Promise<Answer> {
  const response = await vault.app.inject({
    method: method as "GET",
    url,
    headers: { authorization: `Bearer ${key}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
  const parsed = response.body ? JSON.parse(response.body) : null;
  problems.push(...contractProblems(method, url, response.statusCode, parsed));
  return { status: response.statusCode, body: parsed, text: response.body };
}

function githubDocument(clientId: string, clientSecret?: string): Record<string, unknown> {
  return { id: "github", catalog: "github", clientId, ...(clientSecret ? { clientSecret } : {}) };
}

/** Where the Connect page's start sends the browser for `provider`: the provider's authorize URL. */
async function authorizeUrlFor(key: string, provider: string): Promise<URL> {
  const session = await call("POST", "/v1/connect/sessions", key, { allowed_providers: [provider] });
  expect(session.status, session.text).toBe(201);
  const token = new URL(session.body.connect_url).pathname.split("/").pop();
  const start = await vault.app.inject({
    method: "POST",
    url: `/connect/${token}/start`,
    headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://127.0.0.1:4999" },
    payload: `provider=${provider}`,
  });
  expect(start.statusCode, start.body).toBe(303);
  return new URL(String(start.headers.location));
}

async function auditOf(
  key: string,
): Promise<{ type: string; api_key_prefix: string | null; details: Record<string, unknown> }[]> {
  const listed = await call("GET", "/v1/audit?limit=200", key);
  expect(listed.status).toBe(200);
  return listed.body.events;
}

describe("admin API: validation and access", () => {
  it("lists every problem of a provider, an app change and an identity provider at once", async () => {
    const provider = await call("POST", `/v1/apps/${alpha.id}/providers`, alpha.key, {
      id: "Not An Id",
      type: "oauth2",
      clientId: "",
      authorizationUrl: "ftp://example.com/authorize",
    });
    expect(provider.status).toBe(400);
    expect(provider.body.error.code).toBe("invalid_request");
    const providerPaths = provider.body.error.issues.map((issue: { path: string }) => issue.path);
    expect(providerPaths).toEqual(
      expect.arrayContaining([
        "id",
        "clientId",
        "clientSecret",
        "authorizationUrl",
        "tokenUrl",
        "userinfoUrl",
      ]),
    );

    const app = await call("PATCH", `/v1/apps/${alpha.id}`, alpha.key, {
      name: " ",
      enabled: "yes",
      allowed_origins: ["https://app.example.com/path"],
      colour: "blue",
    });
    expect(app.status).toBe(400);
    const appPaths = app.body.error.issues.map((issue: { path: string }) => issue.path);
    expect(appPaths).toEqual(expect.arrayContaining(["name", "enabled", "allowed_origins.0"]));
    expect(app.body.error.issues.length).toBeGreaterThanOrEqual(4);

    const identity = await call("PUT", `/v1/apps/${alpha.id}/identity-provider`, alpha.key, {
      issuer: "ftp://idp.example.com",
      clientId: "",
    });
    expect(identity.status).toBe(400);
    const identityPaths = identity.body.error.issues.map((issue: { path: string }) => issue.path);
    expect(identityPaths).toEqual(expect.arrayContaining(["issuer", "clientId", "clientSecret"]));
    // Nothing was stored by the refused changes.
    expect((await call("GET", `/v1/apps/${alpha.id}`, alpha.key)).body.name).toBe("alpha");
    expect((await call("GET", `/v1/apps/${alpha.id}/providers`, alpha.key)).body.providers).toEqual([]);
  });

  it("answers another app's id with 404, a key without admin with 403, app creation and deletion only for operator keys", async () => {
    for (const [method, path] of [
      ["GET", `/v1/apps/${beta.id}`],
      ["PATCH", `/v1/apps/${beta.id}`],
      ["GET", `/v1/apps/${beta.id}/providers`],
      ["GET", `/v1/apps/${beta.id}/providers/github`],
      ["DELETE", `/v1/apps/${beta.id}/providers/github`],
      ["GET", `/v1/apps/${beta.id}/identity-provider`],
    ] as const) {
      const answer = await call(method, path, alpha.key, method === "PATCH" ? { name: "mine" } : undefined);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.body.error.code).toBe("not_found");
    }
    for (const [method, path] of [
      ["GET", `/v1/apps/${alpha.id}`],
      ["GET", `/v1/apps/${alpha.id}/providers`],
      ["POST", `/v1/apps/${alpha.id}/providers`],
      ["PUT", `/v1/apps/${alpha.id}/identity-provider`],
      ["GET", "/v1/apps"],
    ] as const) {
      const body = method === "GET" ? undefined : githubDocument("x", "y");
      const answer = await call(method, path, alphaWorker, body);
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error.code).toBe("insufficient_scope");
    }
    const create = await call("POST", "/v1/apps", alpha.key, { name: "gamma" });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe("insufficient_scope");
    const remove = await call("DELETE", `/v1/apps/${alpha.id}`, alpha.key);
    expect(remove.status).toBe(403);
    // An app's admin key sees its own app only.
    const listed = await call("GET", "/v1/apps", alpha.key);
    expect(listed.status).toBe(200);
    expect(listed.body.apps.map((app: { app_id: string }) => app.app_id)).toEqual([alpha.id]);
  });
});

describe("admin API: providers", () => {
  it("two apps with different clients for the same catalog provider each send users to their own client", async () => {
    expect(
      (
        await call(
          "POST",
          `/v1/apps/${alpha.id}/providers`,
          alpha.key,
          githubDocument("alpha-client", ALPHA_SECRET),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await call(
          "POST",
          `/v1/apps/${beta.id}/providers`,
          beta.key,
          githubDocument("beta-client", BETA_SECRET),
        )
      ).status,
    ).toBe(201);
    const alphaUrl = await authorizeUrlFor(alpha.key, "github");
    const betaUrl = await authorizeUrlFor(beta.key, "github");
    expect(alphaUrl.origin + alphaUrl.pathname).toBe("https://github.com/login/oauth/authorize");
    expect(alphaUrl.searchParams.get("client_id")).toBe("alpha-client");
    expect(betaUrl.searchParams.get("client_id")).toBe("beta-client");
    expect(alphaUrl.searchParams.get("redirect_uri")).toBe("http://127.0.0.1:4999/v1/oauth/callback/github");
  });

  it("creates, replaces keeping the secret, patches, disables, enables and deletes a provider, auditing each change without the secret", async () => {
    const path = `/v1/apps/${alpha.id}/providers/github`;
    const shown = await call("GET", path, alpha.key);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      provider_id: "github",
      enabled: true,
      redirect_uri: "http://127.0.0.1:4999/v1/oauth/callback/github",
      document: { id: "github", catalog: "github", clientId: "alpha-client" },
    });
    expect(shown.body.document).not.toHaveProperty("clientSecret");
    expect(shown.text).not.toContain(ALPHA_SECRET);

    const again = await call(
      "POST",
      `/v1/apps/${alpha.id}/providers`,
      alpha.key,
      githubDocument("other", "s"),
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("already_exists");

    // PUT without clientSecret: the whole document, the stored secret kept.
    const replaced = await call("PUT", path, alpha.key, {
      ...githubDocument("alpha-client"),
      scopes: ["repo"],
      displayName: "GitHub (alpha)",
    });
    expect(replaced.status, replaced.text).toBe(200);
    expect(replaced.body.document).toMatchObject({ scopes: ["repo"], displayName: "GitHub (alpha)" });
    expect(await storedSecret(alpha.id, "github")).toBe(ALPHA_SECRET);
    const renamed = await call("PUT", path, alpha.key, { ...githubDocument("alpha-client"), id: "gitlab" });
    expect(renamed.status).toBe(400);

    // PATCH: null removes a field; a new secret is sealed.
    const patched = await call("PATCH", path, alpha.key, { scopes: null, clientSecret: ALPHA_SECRET_2 });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.document).not.toHaveProperty("scopes");
    expect(patched.body.document.displayName).toBe("GitHub (alpha)");
    expect(await storedSecret(alpha.id, "github")).toBe(ALPHA_SECRET_2);

    // A second provider, so the Connect page has something to show while github is disabled.
    expect(
      (
        await call("POST", `/v1/apps/${alpha.id}/providers`, alpha.key, {
          id: "google",
          catalog: "google",
          clientId: "alpha-google",
          clientSecret: "alpha-google-secret",
        })
      ).status,
    ).toBe(201);
    const disabled = await call("PATCH", path, alpha.key, { enabled: false });
    expect(disabled.body.enabled).toBe(false);
    const refused = await call("POST", "/v1/connect/sessions", alpha.key, { allowed_providers: ["github"] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("unknown_provider");
    const page = await connectPage(alpha.key);
    expect(page).toContain("google");
    expect(page).not.toContain('value="github"');
    expect((await call("PATCH", path, alpha.key, { enabled: true })).body.enabled).toBe(true);
    expect((await authorizeUrlFor(alpha.key, "github")).searchParams.get("client_id")).toBe("alpha-client");

    const deleted = await call("DELETE", path, alpha.key);
    expect(deleted).toMatchObject({ status: 200, body: { provider_id: "github", deleted: true } });
    expect((await call("GET", path, alpha.key)).status).toBe(404);
    expect((await call("DELETE", path, alpha.key)).status).toBe(404);
    const gone = await call("POST", "/v1/connect/sessions", alpha.key, { allowed_providers: ["github"] });
    expect(gone.body.error.code).toBe("unknown_provider");

    const events = (await auditOf(alpha.key)).filter((event) => event.type.startsWith("provider."));
    expect(events.map((event) => event.type).reverse()).toEqual([
      "provider.created",
      "provider.updated",
      "provider.updated",
      "provider.created",
      "provider.disabled",
      "provider.enabled",
      "provider.deleted",
    ]);
    expect(events.every((event) => event.api_key_prefix === alpha.prefix)).toBe(true);
    const updates = events.filter((event) => event.type === "provider.updated").reverse();
    expect(updates.map((event) => event.details.changed)).toEqual([
      ["displayName", "scopes"],
      ["clientSecret", "scopes"],
    ]);
    const text = JSON.stringify(events);
    for (const secret of [ALPHA_SECRET, ALPHA_SECRET_2, "alpha-google-secret"])
      expect(text).not.toContain(secret);
  });
});

describe("admin API: identity provider", () => {
  it("sets, keeps the secret on a re-send, disables and deletes the app's identity provider, audited without the secret", async () => {
    const path = `/v1/apps/${beta.id}/identity-provider`;
    expect((await call("GET", path, beta.key)).status).toBe(404);
    const document = {
      issuer: "http://127.0.0.1:1/idp",
      clientId: "beta-sign-in",
      displayName: "Beta sign-in",
    };
    const set = await call("PUT", path, beta.key, { ...document, clientSecret: IDENTITY_SECRET });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({
      app_id: beta.id,
      enabled: true,
      redirect_uri: "http://127.0.0.1:4999/v1/auth/callback",
      document,
    });
    expect(set.text).not.toContain(IDENTITY_SECRET);
    const resent = await call("PUT", path, beta.key, { ...document, audience: "beta-api" });
    expect(resent.status, resent.text).toBe(200);
    expect(resent.body.document.audience).toBe("beta-api");
    const noSecret = await call("PUT", `/v1/apps/${alpha.id}/identity-provider`, alpha.key, document);
    expect(noSecret.status).toBe(400);
    expect(noSecret.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual(["clientSecret"]);

    const patched = await call("PATCH", path, beta.key, { audience: null, enabled: false });
    expect(patched.body).toMatchObject({ enabled: false, document });
    expect(patched.body.document).not.toHaveProperty("audience");
    const session = await call("POST", "/v1/auth/sessions", beta.key, {});
    expect(session.body.error.code).toBe("identity_not_configured");

    expect((await call("DELETE", path, beta.key)).body).toEqual({ app_id: beta.id, deleted: true });
    expect((await call("GET", path, beta.key)).status).toBe(404);
    const events = (await auditOf(beta.key)).filter((event) => event.type.startsWith("identity_provider."));
    expect(events.map((event) => event.type).reverse()).toEqual([
      "identity_provider.set",
      "identity_provider.set",
      "identity_provider.set",
      "identity_provider.set",
      "identity_provider.deleted",
    ]);
    expect(JSON.stringify(events)).not.toContain(IDENTITY_SECRET);
  });
});

describe("admin API: apps", () => {
  it("changes an app's name, origins and F6 setting; a disabled app's keys are refused with app_disabled", async () => {
    const updated = await call("PATCH", `/v1/apps/${alpha.id}`, alpha.key, {
      name: "alpha (renamed)",
      allowed_origins: ["https://alpha.example.com", "https://alpha.example.com"],
      user_grants_need_user_token: false,
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({
      app_id: alpha.id,
      name: "alpha (renamed)",
      enabled: true,
      allowed_origins: ["https://alpha.example.com"],
      user_grants_need_user_token: false,
    });

    // A Connect link handed out before the app is disabled.
    const pendingProvider = { id: "pending", catalog: "gitlab", clientId: "gl", clientSecret: "gl-secret" };
    expect((await call("POST", `/v1/apps/${alpha.id}/providers`, alpha.key, pendingProvider)).status).toBe(
      201,
    );
    const pending = await call("POST", "/v1/connect/sessions", alpha.key, { allowed_providers: ["pending"] });
    expect(pending.status, pending.text).toBe(201);
    const pendingPath = new URL(pending.body.connect_url).pathname;

    const disabled = await call("PATCH", `/v1/apps/${alpha.id}`, alpha.key, { enabled: false });
    expect(disabled.body.enabled).toBe(false);
    // Its pending Connect links stop too: no page, no start of OAuth.
    const page = await vault.app.inject({ method: "GET", url: pendingPath });
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain("This app is disabled");
    const start = await vault.app.inject({
      method: "POST",
      url: `${pendingPath}/start`,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://127.0.0.1:4999" },
      payload: "provider=pending",
    });
    expect(start.statusCode).toBe(403);
    expect(start.headers.location).toBeUndefined();
    for (const key of [alpha.key, alphaWorker]) {
      const refused = await call("GET", "/v1/app", key);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe("app_disabled");
    }
    // The grant-reading path authenticates in its own query: refused there too.
    const credential = await call("POST", "/v1/grants/grant_000000000000000000000000/credential", alpha.key, {
      method: "GET",
      url: "https://api.github.com/user",
    });
    expect(credential.status).toBe(403);
    expect(credential.body.error.code).toBe("app_disabled");
    expect((await call("GET", "/v1/app", beta.key)).status).toBe(200);

    // The operator enables it again at the CLI (the app's own keys cannot).
    const enabled = await runCliInProcess(["apps", "enable", alpha.id, "--json"], {
      GRANTVAULT_DATA_DIR: vault.dataDir,
    });
    expect(enabled.code, enabled.err).toBe(0);
    expect((await call("GET", "/v1/app", alpha.key)).status).toBe(200);

    const events = await auditOf(alpha.key);
    const types = events.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(["app.updated", "app.setting_changed", "app.disabled", "app.enabled"]),
    );
    const renamed = events.find((event) => event.type === "app.updated");
    expect(renamed?.details).toMatchObject({
      changed: ["name", "allowed_origins"],
      name: "alpha (renamed)",
      by: "api_key",
    });
    expect(events.find((event) => event.type === "app.enabled")?.details.by).toBe("operator");
  });

  it("deleting an app refuses its keys and removes its providers; its audit chain stays and verifies", async () => {
    const env = { GRANTVAULT_DATA_DIR: vault.dataDir };
    const refused = await runCliInProcess(["apps", "delete", "beta"], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("--yes");
    const deleted = await runCliInProcess(["apps", "delete", "beta", "--yes", "--json"], env);
    expect(deleted.code, deleted.err).toBe(0);
    expect(JSON.parse(deleted.out)).toEqual({ app_id: beta.id, deleted: true });
    const answer = await call("GET", "/v1/app", beta.key);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("invalid_api_key");
    expect(await vault.store.providers.listForApp(beta.id)).toEqual([]);
    const events = await vault.store.audit.list(beta.id, {}, 10);
    expect(events[0]?.type).toBe("app.deleted");
    const verified = await runCliInProcess(["audit", "verify", "--json"], env);
    expect(verified.code, verified.out + verified.err).toBe(0);
    expect(JSON.parse(verified.out).ok).toBe(true);
  });

  it("an operator key creates an app with its first key, lists every app, and deletes one", async () => {
    const operator = await new OperatorKeyService(vault.store, vault.clock).create("ops", null);
    const invalid = await call("POST", "/v1/apps", operator.plaintext, {
      name: "",
      allowed_origins: ["nope"],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues.map((issue: { path: string }) => issue.path)).toEqual([
      "name",
      "allowed_origins.0",
    ]);
    const created = await call("POST", "/v1/apps", operator.plaintext, {
      name: "gamma",
      allowed_origins: ["https://gamma.example.com"],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.app).toMatchObject({
      name: "gamma",
      enabled: true,
      allowed_origins: ["https://gamma.example.com"],
    });
    const gammaKey = created.body.api_key.api_key as string;
    expect((await call("GET", "/v1/app", gammaKey)).body.app_id).toBe(created.body.app.app_id);
    const [appCreated] = (await auditOf(gammaKey)).filter((event) => event.type === "app.created");
    expect(appCreated?.api_key_prefix).toBe(operator.key.prefix);

    const listed = await call("GET", "/v1/apps", operator.plaintext);
    expect(listed.body.apps.map((app: { name: string }) => app.name)).toEqual(
      expect.arrayContaining(["alpha (renamed)", "gamma"]),
    );
    const deleted = await call("DELETE", `/v1/apps/${created.body.app.app_id}`, operator.plaintext);
    expect(deleted.body).toEqual({ app_id: created.body.app.app_id, deleted: true });
    expect((await call("GET", "/v1/app", gammaKey)).body.error.code).toBe("invalid_api_key");
    expect((await call("GET", `/v1/apps/${created.body.app.app_id}`, operator.plaintext)).status).toBe(404);
  });

  it("every answer matched the OpenAPI document", () => {
    expect(problems).toEqual([]);
  });
});

async function storedSecret(appId: string, providerId: string): Promise<string> {
  const row = await vault.store.providers.get(appId, providerId);
  if (!row) throw new Error(`no provider ${providerId}`);
  return (await vault.keys.current()).open(row.sealedSecret, bindingOf(PROVIDER_SECRET_FIELD, row.id));
}

async function connectPage(key: string): Promise<string> {
  const session = await call("POST", "/v1/connect/sessions", key, {});
  expect(session.status, session.text).toBe(201);
  const page = await vault.app.inject({ method: "GET", url: new URL(session.body.connect_url).pathname });
  return page.body;
}
