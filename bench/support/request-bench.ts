import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Vault } from "../../packages/sdk/src/index.js";
import { type BenchDatabase, openBenchDatabase } from "./bench-database.js";
import { askCredential } from "./credential-call.js";
import { nodeGet } from "./node-get.js";
import type { ApiTarget, DirectClient, Engine, RequestBenchOptions } from "./request-options.js";
import { setUpSeparate, setUpSingle } from "./request-setup.js";
import { type LatencySummary, summarize } from "./stats.js";
import type { Placement } from "./throughput-options.js";
import { withinTimeLimit } from "./time-limit.js";

/** B − A, per figure, in ms. */
export interface AddedLatency {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/** B / A, per percentile. */
export interface LatencyRatio {
  p50: number;
  p90: number;
  p99: number;
}

export interface TargetCheck {
  /** e.g. "added p50". */
  figure: "added p50" | "added p99";
  limitMs: number;
  valueMs: number;
  met: boolean;
}

export interface EngineReport {
  engine: Engine;
  /** The database, for the reader. */
  database: string | null;
  /** The URL the calls went to (a loopback API). */
  url: string | null;
  /** A: the token, straight to the API (with `fetch`, or Node's client: see `direct`). */
  direct: LatencySummary | null;
  /** B: `vault.request()`, one round trip to the vault for the credential, then the same call. */
  viaVault: LatencySummary | null;
  added: AddedLatency | null;
  ratio: LatencyRatio | null;
  targets: TargetCheck[];
  /**
   * CPU time (user + system, every thread) per measured call of each path, in ms; added = B − A.
   * Steadier than latency on a shared machine: it counts work done, not time spent waiting for a
   * CPU. The bench's process per path; with the vault in its own process, B also includes that
   * process's CPU time over the measured calls divided by their number (`vault`, null when the
   * vault runs in the bench's process). The API's process is not counted (the same for A and B).
   */
  cpuMsPerCall: { direct: number; viaVault: number; added: number; vault: number | null } | null;
  /** Why this engine's run stopped (the first failed call, or a set-up failure); null when it ran through. */
  failure: string | null;
  /** Checks after the run (e.g. every call reached the API once); empty when all held. */
  problems: string[];
}

export interface RequestBenchReport {
  bench: "request-overhead";
  api: ApiTarget;
  /** separate: the measured vault and the ping API each in their own process; single: all in the bench's. */
  processes: Placement;
  /** A's client: fetch, or Node's HTTP client (the one vault.request() uses for the API). */
  direct: DirectClient;
  calls: number;
  warmUp: number;
  /** Where it ran: everything shares this machine, so its load shows in the figures. */
  machine: { node: string; cpus: number; loadAverage: number[] };
  engines: EngineReport[];
}

/** The targets for the vault's added latency (B − A), in ms. */
const TARGETS: Record<Engine, { figure: TargetCheck["figure"]; limitMs: number }[]> = {
  sqlite: [
    { figure: "added p50", limitMs: 1 },
    { figure: "added p99", limitMs: 5 },
  ],
  postgres: [{ figure: "added p50", limitMs: 2 }],
};

/** One call must not take longer; the first failed call ends the engine's run, so a run is bounded. */
const CALL_TIME_LIMIT_MS = 10_000;

/** Each engine in turn, each in its own world; an engine that fails is reported, and the next still runs. */
export async function runRequestBench(
  options: RequestBenchOptions,
  progress: (line: string) => void,
): Promise<RequestBenchReport> {
  const machine = {
    node: process.versions.node,
    cpus: availableParallelism(),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
  const engines: EngineReport[] = [];
  for (const engine of options.engines) {
    const report = emptyReport(engine);
    try {
      await runEngine(engine, options, report, progress);
    } catch (error) {
      report.failure = describe(error);
      progress(`${engine}: FAILED ${report.failure}`);
    }
    engines.push(report);
  }
  return {
    bench: "request-overhead",
    api: options.api,
    processes: options.processes,
    direct: options.direct,
    calls: options.calls,
    warmUp: options.warmUp,
    machine,
    engines,
  };
}

/** True when every engine ran through without a failed call and every check held. */
export function requestBenchSucceeded(report: RequestBenchReport): boolean {
  return report.engines.every((engine) => engine.failure === null && engine.problems.length === 0);
}

/**
 * One engine: a fresh database, one grant made by a browserless connect flow, a second vault
 * server on the same database that the calls go through (in its own process, or in the bench's),
 * and the calls themselves.
 */
async function runEngine(
  engine: Engine,
  options: RequestBenchOptions,
  report: EngineReport,
  progress: (line: string) => void,
): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const separate = options.processes === "separate";
    progress(
      `${engine}: starting the database, the API and the connect world` +
        `${separate ? ", then the measured vault and the API in their own processes" : ""}…`,
    );
    const database: BenchDatabase = await openBenchDatabase(engine);
    cleanups.push(() => database.drop());
    report.database = database.description;
    const setup = separate
      ? await setUpSeparate(engine, database.url, cleanups)
      : await setUpSingle(engine, options.api, database.url, cleanups);
    const { url, grantId } = setup;
    report.url = url;
    // A's token: asked of the vault once, as an app that kept it would have it.
    const authorization = await credentialHeader(setup.vaultBaseUrl, setup.apiKey, grantId, url);
    await setup.ping.expect(authorization);
    const vault = new Vault({ apiKey: setup.apiKey, baseUrl: setup.vaultBaseUrl });
    const paths: Record<"A" | "B", Call> = {
      A:
        options.direct === "fetch"
          ? async () => expectOk(await fetch(url, { headers: { authorization } }))
          : async () => expectNodeOk(await nodeGet(url, { authorization })),
      B: async () => expectOk(await vault.request("GET", url, { grantId })),
    };
    progress(
      `${engine}: ${options.warmUp} warm-up + ${options.calls} measured calls per path, A and B interleaved…`,
    );
    await measure(paths, options.warmUp);
    const vaultCpuBefore = (await setup.vaultCpuMicros?.()) ?? 0;
    const { samples, cpuMicros } = await measure(paths, options.calls);
    const vaultCpu = setup.vaultCpuMicros
      ? ((await setup.vaultCpuMicros()) - vaultCpuBefore) / options.calls / 1000
      : null;
    report.direct = summarize(samples.A);
    report.viaVault = summarize(samples.B);
    const cpuA = cpuMicros.A / options.calls / 1000;
    const cpuB = cpuMicros.B / options.calls / 1000 + (vaultCpu ?? 0);
    report.cpuMsPerCall = { direct: cpuA, viaVault: cpuB, added: cpuB - cpuA, vault: vaultCpu };
    if (report.direct && report.viaVault) {
      const { direct: a, viaVault: b } = report;
      report.added = {
        p50: b.p50 - a.p50,
        p90: b.p90 - a.p90,
        p99: b.p99 - a.p99,
        mean: b.mean - a.mean,
        max: b.max - a.max,
      };
      report.ratio = { p50: b.p50 / a.p50, p90: b.p90 / a.p90, p99: b.p99 / a.p99 };
      const added = report.added;
      report.targets = TARGETS[engine].map(({ figure, limitMs }) => {
        const valueMs = figure === "added p50" ? added.p50 : added.p99;
        return { figure, limitMs, valueMs, met: valueMs <= limitMs };
      });
    }
    if (options.api === "ping") {
      const expected = 2 * (options.warmUp + options.calls);
      const counts = await setup.ping.counts();
      if (counts.ok !== expected || counts.refused !== 0) {
        report.problems.push(
          `the API answered ${counts.ok} calls and refused ${counts.refused}; expected ${expected} and 0`,
        );
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => report.problems.push(`clean-up: ${describe(error)}`));
    }
  }
}

type Call = () => Promise<void>;

/**
 * Makes `calls` calls of each path, one at a time. Each round makes one call of each path,
 * alternating which goes first, so drift (load from other processes, GC, JIT, the database
 * growing) falls on both alike. The first failure ends the run.
 */
async function measure(
  paths: Record<"A" | "B", Call>,
  calls: number,
): Promise<{ samples: Record<"A" | "B", number[]>; cpuMicros: Record<"A" | "B", number> }> {
  const samples: Record<"A" | "B", number[]> = { A: [], B: [] };
  const cpuMicros: Record<"A" | "B", number> = { A: 0, B: 0 };
  for (let round = 0; round < calls; round++) {
    for (const path of round % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const)) {
      const cpuBefore = process.cpuUsage();
      const startedAt = performance.now();
      try {
        await withinTimeLimit(paths[path], CALL_TIME_LIMIT_MS);
      } catch (error) {
        const what = path === "A" ? "A (direct)" : "B (vault.request())";
        throw new Error(`${what}, call ${round + 1} of ${calls}: ${describe(error)}`);
      }
      const elapsed = performance.now() - startedAt;
      const cpu = process.cpuUsage(cpuBefore);
      samples[path].push(elapsed);
      cpuMicros[path] += cpu.user + cpu.system;
    }
  }
  return { samples, cpuMicros };
}

/** A's answer on Node's client (already read whole): requires a 200. */
function expectNodeOk(answer: { status: number; body: string }): void {
  if (answer.status !== 200)
    throw new Error(`the API answered ${answer.status}: ${answer.body.slice(0, 200)}`);
}

/** Reads the whole body (part of the call's time, as for any caller) and requires a 200. */
async function expectOk(response: Response): Promise<void> {
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`the API answered ${response.status}: ${body.slice(0, 200)}`);
  }
}

/** The Authorization header the vault hands out for a call to `url` (retrieve mode, without the SDK). */
async function credentialHeader(
  vaultBaseUrl: string,
  apiKey: string,
  grantId: string,
  url: string,
): Promise<string> {
  const answer = await askCredential(
    vaultBaseUrl,
    apiKey,
    grantId,
    url,
    AbortSignal.timeout(CALL_TIME_LIMIT_MS),
  );
  if (answer.status !== 200)
    throw new Error(`the credential endpoint answered ${answer.status}: ${answer.body}`);
  if (!answer.authorization)
    throw new Error("the credential endpoint answered without an authorization header");
  return answer.authorization;
}

function emptyReport(engine: Engine): EngineReport {
  return {
    engine,
    database: null,
    url: null,
    direct: null,
    viaVault: null,
    added: null,
    ratio: null,
    targets: [],
    cpuMsPerCall: null,
    failure: null,
    problems: [],
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
