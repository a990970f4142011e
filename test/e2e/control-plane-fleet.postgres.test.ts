import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OAuthProvider, startOAuthProvider } from "../harness/oauth-provider.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import { runServerCli, type ServerProcess, startServerProcess } from "../harness/server-process.js";

/**
 * Issue 15: the control plane of a fleet. Three real server processes share one PostgreSQL
 * database; a provider added, changed and disabled through one process's admin API takes effect
 * in all three within a second, without a restart (PostgreSQL LISTEN/NOTIFY drops their caches).
 */

const PROCESSES = 3;
const PROPAGATION_MS = 1000;
/**
 * The fleet's public URL, as behind a load balancer: every process builds the same redirect URI
 * from it, so the processes listen on ports of their own choosing (no port picked ahead and raced
 * for). The test never follows a redirect to it.
 */
const PUBLIC_URL = "https://vault.fleet.example";

let database: TestDatabase;
let cwd: string;
let oauth: OAuthProvider;
let servers: ServerProcess[] = [];
let env: Record<string, string>;
let appId: string;
let apiKey: string;
const clients = ["fleet-client-1", "fleet-client-2"].map((client_id) => ({
  client_id,
  client_secret: randomBytes(16).toString("hex"),
  redirect_uris: [] as string[],
}));

beforeAll(async () => {
  database = await createTestDatabase();
  cwd = await mkdtemp(join(tmpdir(), "gv-fleet-"));
  env = {
    GRANTVAULT_DATABASE_URL: database.url,
    GRANTVAULT_MASTER_KEY: `k1:${randomBytes(32).toString("base64")}`,
    GRANTVAULT_DATA_DIR: join(cwd, "data"),
    // Everything the processes log is scanned for the client secrets below.
    GRANTVAULT_LOG_LEVEL: "debug",
  };
  env.GRANTVAULT_PUBLIC_URL = PUBLIC_URL;
  for (const client of clients) client.redirect_uris = [`${PUBLIC_URL}/v1/oauth/callback/fleet`];
  oauth = await startOAuthProvider({ clients, scopes: ["repo"] });
  const created = await runServerCli(["apps", "create", "--name", "fleet", "--json"], { cwd, env });
  expect(created.code, created.stderr).toBe(0);
  ({ app_id: appId, api_key: apiKey } = JSON.parse(created.stdout) as { app_id: string; api_key: string });
  servers = await Promise.all(Array.from({ length: PROCESSES }, () => startServerProcess({ cwd, env })));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await oauth?.stop();
  await database?.drop();
  await rm(cwd, { recursive: true, force: true });
});

async function call(server: ServerProcess, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * What `server` does with a connection to `fleet` right now: the client id of the authorize URL
 * its Connect page sends the browser to, the error code that refuses the session, or the status
 * of a start refused by a change that landed after the session was created.
 */
async function connectTarget(server: ServerProcess): Promise<string> {
  const created = await call(server, "POST", "/v1/connect/sessions", { allowed_providers: ["fleet"] });
  if (created.status !== 201) return (created.body.error as { code: string }).code;
  // The Connect link names the public URL; this process is where the load balancer sent it.
  const connectPath = new URL(created.body.connect_url as string).pathname;
  const started = await fetch(`${server.baseUrl}${connectPath}/start`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: PUBLIC_URL },
    body: "provider=fleet",
  });
  // A change may land between the two requests: a provider disabled meanwhile is refused at the
  // start, which this probe reports (it never equals what a step waits for, so the wait goes on).
  if (started.status !== 303) return `start answered ${started.status}`;
  const authorize = new URL(started.headers.get("location") ?? "");
  expect(authorize.origin).toBe(new URL(oauth.authorizationUrl).origin);
  return authorize.searchParams.get("client_id") ?? "no client_id";
}

/** Waits until every process answers `expected`; fails with what each said after PROPAGATION_MS. */
async function expectEverywhere(expected: string): Promise<number> {
  const started = Date.now();
  for (;;) {
    const seen = await Promise.all(servers.map(connectTarget));
    if (seen.every((value) => value === expected)) return Date.now() - started;
    if (Date.now() - started > PROPAGATION_MS) {
      expect(seen, `within ${PROPAGATION_MS} ms`).toEqual(servers.map(() => expected));
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("a provider managed over the admin API, three processes on PostgreSQL", () => {
  it("added, changed and disabled through one process: all three follow within a second", async () => {
    expect(await expectEverywhere("no_providers_configured")).toBeLessThan(PROPAGATION_MS);
    const [first, second = first, third = first] = servers as [ServerProcess, ...ServerProcess[]];
    const document = {
      id: "fleet",
      type: "oauth2",
      displayName: "Fleet",
      authorizationUrl: oauth.authorizationUrl,
      tokenUrl: oauth.tokenUrl,
      userinfoUrl: `${oauth.issuer}/me`,
      scopes: ["repo"],
      clientId: clients[0]?.client_id,
      clientSecret: clients[0]?.client_secret,
    };
    // Every process has read (and cached) the app's providers before the change.
    const added = await call(first, "POST", `/v1/apps/${appId}/providers`, document);
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(JSON.stringify(added.body)).not.toContain(clients[0]?.client_secret);
    await expectEverywhere("fleet-client-1");

    const changed = await call(second, "PATCH", `/v1/apps/${appId}/providers/fleet`, {
      clientId: clients[1]?.client_id,
      clientSecret: clients[1]?.client_secret,
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await expectEverywhere("fleet-client-2");

    const disabled = await call(third, "PATCH", `/v1/apps/${appId}/providers/fleet`, { enabled: false });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect(disabled.body).toMatchObject({ provider_id: "fleet", enabled: false });
    await expectEverywhere("no_providers_configured");

    // A document with mistakes is refused with every problem named, and without echoing the secret.
    const refused = await call(first, "POST", `/v1/apps/${appId}/providers`, {
      ...document,
      id: "Not An Id",
      tokenUrl: "ftp://example.com/token",
    });
    expect(refused.status).toBe(400);
    expect(
      (refused.body.error as { issues: { path: string }[] }).issues.map((issue) => issue.path).sort(),
    ).toEqual(["id", "tokenUrl"]);
    expect(JSON.stringify(refused.body)).not.toContain(clients[0]?.client_secret);

    // Nobody restarted: the same three processes answered throughout.
    for (const server of servers) expect(server.child.exitCode).toBeNull();
    // Each change is on record in the app's audit chain.
    const audit = await call(first, "GET", "/v1/audit?limit=50");
    const types = (audit.body.events as { type: string }[]).map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining(["provider.created", "provider.updated", "provider.disabled"]),
    );
    expect(JSON.stringify(audit.body)).not.toContain(clients[1]?.client_secret);
    // Nor in any line any process logged, at debug level.
    for (const server of servers) {
      for (const client of clients) {
        expect(server.stdout() + server.stderr()).not.toContain(client.client_secret);
      }
      expect(server.stdout()).toContain("providers");
    }
  }, 60_000);
});
