import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import { createTestDatabase } from "../harness/postgres.js";
import { startServerProcess } from "../harness/server-process.js";
import { startTestVault } from "../harness/vault-app.js";

const METRICS_TOKEN = "metrics-token-for-the-test-0123456789";

let world: ConnectWorld;
let browser: Browser;
let grantId: string;

beforeAll(async () => {
  [world, browser] = await Promise.all([
    startConnectWorld({ settings: { GRANTVAULT_METRICS_TOKEN: METRICS_TOKEN } }),
    launchBrowser(),
  ]);
  grantId = await connectAccount(world, browser, "octo", "alice");
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

async function scrape(): Promise<string> {
  const response = await fetch(`${world.baseUrl}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, e.g. `grantvault_token_refreshes_total{outcome="ok"}`; 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function retrieve(url: string): Promise<Response> {
  return fetch(`${world.baseUrl}/v1/grants/${grantId}/credential`, {
    method: "POST",
    headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ method: "GET", url }),
  });
}

describe("GET /metrics", () => {
  it("refuses a scrape without the metrics token, or with another one", async () => {
    for (const authorization of [undefined, "Bearer not-the-metrics-token", `Bearer ${world.apiKey}`]) {
      const response = await fetch(`${world.baseUrl}/metrics`, {
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        "metrics_token_invalid",
      );
    }
  });

  it("after real traffic, reports grant uses by mode and outcome, refreshes, sessions, audit appends, polls and the process", async () => {
    const before = await scrape();
    expect(await retrieve(`${world.api.baseUrl}/user`).then((r) => r.status)).toBe(200);
    expect(await retrieve("https://elsewhere.example/x").then((r) => r.status)).toBe(403);
    const proxied = await fetch(`${world.baseUrl}/v1/grants/${grantId}/proxy`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${world.apiKey}`,
        "grantvault-method": "GET",
        "grantvault-url": `${world.api.baseUrl}/user`,
      },
    });
    expect(proxied.status).toBe(200);
    await proxied.arrayBuffer();
    // Past the access token's lifetime (the vault's clock): the next use refreshes it at the provider.
    world.vault.clock.advance(2 * 60 * 60 * 1000);
    expect(await retrieve(`${world.api.baseUrl}/user`).then((r) => r.status)).toBe(200);
    const after = await scrape();

    const grew = (series: string, by: number) =>
      expect(sample(after, series) - sample(before, series), series).toBe(by);
    grew('grantvault_grant_use_duration_seconds_count{mode="retrieve",outcome="ok"}', 2);
    grew('grantvault_grant_use_duration_seconds_count{mode="retrieve",outcome="refused"}', 1);
    grew('grantvault_grant_use_duration_seconds_count{mode="proxy",outcome="ok"}', 1);
    grew('grantvault_token_refreshes_total{outcome="ok"}', 1);
    // The connect in beforeAll: counted once, when it ended.
    expect(sample(after, 'grantvault_connect_sessions_total{outcome="completed"}')).toBe(1);
    expect(sample(after, 'grantvault_connect_sessions_total{outcome="denied"}')).toBe(0);
    // Each use wrote its audit row (the refused one too), the connect its own.
    expect(sample(after, "grantvault_audit_append_duration_seconds_count")).toBeGreaterThanOrEqual(
      sample(before, "grantvault_audit_append_duration_seconds_count") + 4,
    );
    expect(
      sample(after, 'grantvault_grant_use_duration_seconds_sum{mode="proxy",outcome="ok"}'),
    ).toBeGreaterThan(0);
    expect(after).toMatch(/^grantvault_held_long_polls 0$/m);
    // SQLite has no pool: the series is declared but has no samples.
    expect(after).not.toMatch(/^grantvault_db_pool_connections\{/m);
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // Nothing secret in the exposition.
    expect(after).not.toContain(world.apiKey);
    expect(after).not.toContain(METRICS_TOKEN);
  });
});

describe("GRANTVAULT_METRICS_PORT", () => {
  it("serves /metrics on a loopback listener of its own, with nothing of the API, and not on the main port", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "gv-metrics-"));
    const server = await startServerProcess({ cwd, env: { GRANTVAULT_METRICS_PORT: "0" } });
    try {
      const metricsUrl = /metrics: (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(server.stdout())?.[1];
      expect(metricsUrl, server.stdout()).toBeDefined();
      const scraped = await fetch(metricsUrl as string);
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toMatch(/^grantvault_held_long_polls 0$/m);
      expect(text).toMatch(/^# TYPE grantvault_grant_use_duration_seconds histogram$/m);
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect((await fetch(new URL("/v1/app", metricsUrl).toString())).status).toBe(404);
      expect((await fetch(new URL("/healthz", metricsUrl).toString())).status).toBe(404);
      // Without a metrics token, the main port has no /metrics.
      expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
    } finally {
      expect(await server.stop()).toBe(0);
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe("database pool use", () => {
  it("reports the PostgreSQL pool's connections: total, idle, waiting", async () => {
    const database = await createTestDatabase();
    const vault = await startTestVault({
      databaseUrl: database.url,
      settings: { GRANTVAULT_METRICS_TOKEN: METRICS_TOKEN },
    });
    try {
      await vault.store.apps.count();
      const response = await vault.app.inject({
        method: "GET",
        url: "/metrics",
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(response.statusCode).toBe(200);
      expect(sample(response.body, 'grantvault_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(
        1,
      );
      expect(response.body).toMatch(/^grantvault_db_pool_connections\{state="idle"\} \d+$/m);
      expect(sample(response.body, 'grantvault_db_pool_connections{state="waiting"}')).toBe(0);
    } finally {
      await vault.close();
      await database.drop();
    }
  });
});
