import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

function problemsOf(env: Record<string, string>, flags: Record<string, string> = {}): string[] {
  try {
    loadConfig(env, flags, "/srv");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("finds the vault's data directory in a folder above, but not another user's (issue 14 item 4)", () => {
    const project = mkdtempSync(join(tmpdir(), "gv-config-"));
    mkdirSync(join(project, ".grantvault"), { mode: 0o700 });
    const deep = join(project, "examples", "web");
    mkdirSync(deep, { recursive: true });
    expect(loadConfig({}, {}, deep)).toMatchObject({
      dataDir: join(project, ".grantvault"),
      dataDirSource: "found",
    });
    // As if the folder's owner were someone else: this process runs as another uid.
    const getuid = vi.spyOn(process, "getuid").mockReturnValue((process.getuid?.() ?? 0) + 1);
    try {
      expect(() => loadConfig({}, {}, deep)).toThrow(/belongs to another user; pass --data-dir/);
      // Named deliberately, it is used.
      expect(loadConfig({ GRANTVAULT_DATA_DIR: join(project, ".grantvault") }, {}, deep).dataDirSource).toBe(
        "setting",
      );
    } finally {
      getuid.mockRestore();
    }
  });

  it("has working defaults for the embedded default", () => {
    expect(loadConfig({}, {}, "/srv")).toStrictEqual({
      host: "127.0.0.1",
      port: 7400,
      publicUrl: "http://127.0.0.1:7400",
      dataDir: "/srv/.grantvault",
      dataDirSource: "default",
      databaseUrl: "/srv/.grantvault/grantvault.db",
      masterKey: undefined,
      logLevel: "info",
      providersFile: undefined,
      demo: false,
      demoPort: 7401,
      demoTokenTtlSeconds: 3600,
      requestTimeoutSeconds: 60,
      maxHeldPolls: 1000,
      sweepIntervalSeconds: 300,
      sessionRetentionSeconds: 86400,
      dbAcquireTimeoutMs: 15_000,
      maxConcurrentRefreshes: 8,
      metricsPort: undefined,
      metricsHost: "127.0.0.1",
      metricsToken: undefined,
    });
  });

  it("F7: takes the pool acquire timeout and the refresh cap, and refuses values below 1", () => {
    const config = loadConfig(
      { GRANTVAULT_DB_ACQUIRE_TIMEOUT_MS: "2500" },
      { "max-concurrent-refreshes": "3" },
      "/srv",
    );
    expect(config).toMatchObject({ dbAcquireTimeoutMs: 2500, maxConcurrentRefreshes: 3 });
    expect(
      problemsOf({ GRANTVAULT_DB_ACQUIRE_TIMEOUT_MS: "0", GRANTVAULT_MAX_CONCURRENT_REFRESHES: "x" }),
    ).toStrictEqual([
      "GRANTVAULT_DB_ACQUIRE_TIMEOUT_MS: must be at least 1",
      "GRANTVAULT_MAX_CONCURRENT_REFRESHES: must be a number",
    ]);
  });

  it("takes flags over environment variables", () => {
    const config = loadConfig(
      { GRANTVAULT_PORT: "8000", GRANTVAULT_HOST: "0.0.0.0", GRANTVAULT_DATA_DIR: "/var/lib/gv" },
      { port: "9000" },
      "/srv",
    );
    expect(config.port).toBe(9000);
    // A wildcard listen address is not a URL anyone can open.
    expect(config.publicUrl).toBe("http://localhost:9000");
    expect(config.databaseUrl).toBe("/var/lib/gv/grantvault.db");
  });

  it("keeps a postgres URL as is and normalises the public URL to an origin", () => {
    const config = loadConfig(
      {
        GRANTVAULT_DATABASE_URL: "postgres://u:p@db:5432/vault",
        GRANTVAULT_PUBLIC_URL: "https://vault.example.com/",
      },
      {},
      "/srv",
    );
    expect(config.databaseUrl).toBe("postgres://u:p@db:5432/vault");
    expect(config.publicUrl).toBe("https://vault.example.com");
  });

  it("rejects an unknown GRANTVAULT_ variable, but ignores the SDK's own variables", () => {
    expect(problemsOf({ GRANTVAULT_PROT: "1" })).toStrictEqual([
      expect.stringMatching(/^GRANTVAULT_PROT: unknown variable \(known: GRANTVAULT_HOST, /),
    ]);
    expect(() =>
      loadConfig({ GRANTVAULT_API_KEY: "x", GRANTVAULT_URL: "http://x", HOME: "/root" }),
    ).not.toThrow();
  });

  it("reports every problem at once, each naming where the value came from", () => {
    const problems = problemsOf(
      {
        GRANTVAULT_PORT: "70000",
        GRANTVAULT_PUBLIC_URL: "https://vault.example.com/base",
        GRANTVAULT_LOG_LEVEL: "chatty",
        GRANTVAULT_EXTRA: "1",
      },
      { "database-url": "postgres://[bad", color: "yes" },
    );
    expect(problems).toHaveLength(6);
    expect(problems).toEqual(
      expect.arrayContaining([
        "GRANTVAULT_EXTRA: unknown variable (known: GRANTVAULT_HOST, GRANTVAULT_PORT, GRANTVAULT_PUBLIC_URL, GRANTVAULT_DATA_DIR, GRANTVAULT_DATABASE_URL, GRANTVAULT_MASTER_KEY, GRANTVAULT_LOG_LEVEL, GRANTVAULT_PROVIDERS_FILE, GRANTVAULT_DEMO, GRANTVAULT_DEMO_PORT, GRANTVAULT_DEMO_TOKEN_TTL_SECONDS, GRANTVAULT_REQUEST_TIMEOUT_SECONDS, GRANTVAULT_MAX_HELD_POLLS, GRANTVAULT_SWEEP_INTERVAL_SECONDS, GRANTVAULT_SESSION_RETENTION_SECONDS, GRANTVAULT_DB_ACQUIRE_TIMEOUT_MS, GRANTVAULT_MAX_CONCURRENT_REFRESHES, GRANTVAULT_METRICS_PORT, GRANTVAULT_METRICS_HOST, GRANTVAULT_METRICS_TOKEN)",
        "--color: unknown option",
        "GRANTVAULT_PORT: must be between 0 and 65535",
        "GRANTVAULT_PUBLIC_URL: must not have a path",
        expect.stringMatching(/^GRANTVAULT_LOG_LEVEL: must be one of/),
        "--database-url: is not a valid postgres:// URL",
      ]),
    );
  });

  it("F20e: allows --demo only with a loopback --host", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) {
      expect(loadConfig({}, { demo: "true", host }, "/srv").demo).toBe(true);
    }
    for (const host of ["0.0.0.0", "::", "192.0.2.1", "vault.example.com"]) {
      expect(() => loadConfig({ GRANTVAULT_DEMO: "1" }, { host }, "/srv")).toThrow(
        `GRANTVAULT_DEMO: the demo provider lets anyone sign in, so it runs only on a loopback host; --host is ${host}`,
      );
    }
    expect(loadConfig({ GRANTVAULT_HOST: "0.0.0.0" }, {}, "/srv").demo).toBe(false);
  });

  it("puts the demo provider on a fixed port next to the vault's, or where told (issue 14)", () => {
    expect(loadConfig({}, { port: "8000" }, "/srv").demoPort).toBe(8001);
    // A vault on a free port (tests) gets a free one for the demo provider too.
    expect(loadConfig({}, { port: "0" }, "/srv").demoPort).toBe(0);
    expect(loadConfig({ GRANTVAULT_DEMO_PORT: "9100" }, { port: "0" }, "/srv").demoPort).toBe(9100);
    expect(loadConfig({}, { "demo-port": "0", "demo-token-ttl": "5" }, "/srv")).toMatchObject({
      demoPort: 0,
      demoTokenTtlSeconds: 5,
    });
    expect(
      problemsOf({ GRANTVAULT_DEMO_PORT: "7400", GRANTVAULT_DEMO_TOKEN_TTL_SECONDS: "0" }),
    ).toStrictEqual(["GRANTVAULT_DEMO_TOKEN_TTL_SECONDS: must be at least 1"]);
    expect(problemsOf({ GRANTVAULT_DEMO_PORT: "7400" })).toStrictEqual([
      "GRANTVAULT_DEMO_PORT: the demo provider needs a port of its own; --port is 7400 too",
    ]);
  });

  it("never echoes the master key in a problem", () => {
    const problems = problemsOf({ GRANTVAULT_MASTER_KEY: "", GRANTVAULT_PORT: "x" });
    expect(problems).toContain("GRANTVAULT_MASTER_KEY: must not be empty");
  });
});
