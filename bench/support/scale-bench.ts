import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Vault } from "../../packages/sdk/src/index.js";
import { type BenchDatabase, openBenchDatabase } from "./bench-database.js";
import { askCredential, describeError } from "./credential-call.js";
import { startKeyedWorld } from "./keyed-world.js";
import { connectIdpGrant } from "./long-poll-flow.js";
import { nodeGet } from "./node-get.js";
import { startPingApiHandle } from "./ping-api-process.js";
import type { Engine } from "./request-options.js";
import type { ScaleBenchOptions } from "./scale-options.js";
import { analyzeDatabase, seedGrants } from "./seed-grants.js";
import { type LatencySummary, summarize } from "./stats.js";
import { withinTimeLimit } from "./time-limit.js";

/** What is timed at each size, one call at a time. */
export const OPERATIONS = [
  "credential",
  "vault.request()",
  "direct call",
  "listGrants()",
  "listGrants(account)",
  "createConnectSession()",
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** One size: how the grants got there, and each operation's latencies. */
export interface SizeReport {
  /** Grants in the app (and the database) while measuring. */
  grants: number;
  /** Grants added to reach it, the time taken and the rate. */
  seeded: { grants: number; seconds: number; grantsPerSecond: number };
  /** The planner statistics taken after seeding; null with --no-analyze. */
  analyzeSeconds: number | null;
  latencyMs: Partial<Record<Operation, LatencySummary>>;
}

export interface EngineScaleReport {
  engine: Engine;
  database: string | null;
  sizes: SizeReport[];
  /** p50 and p99 at the large size over the small one, per operation. */
  ratio: Partial<Record<Operation, { p50: number; p99: number }>>;
  /** The issue's target: the credential call's p50 at the large size within 1.2× of the small. */
  target: { limit: number; value: number; met: boolean } | null;
  failure: string | null;
  problems: string[];
}

export interface ScaleBenchReport {
  bench: "scale";
  small: number;
  grants: number;
  calls: number;
  warmUp: number;
  budgetSeconds: number;
  analyze: boolean;
  machine: { node: string; cpus: number; loadAverage: number[] };
  engines: EngineScaleReport[];
}

const TARGET_RATIO = 1.2;
const CALL_TIME_LIMIT_MS = 10_000;

export async function runScaleBench(
  options: ScaleBenchOptions,
  progress: (line: string) => void,
): Promise<ScaleBenchReport> {
  const machine = {
    node: process.versions.node,
    cpus: availableParallelism(),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
  const engines: EngineScaleReport[] = [];
  for (const engine of options.engines) {
    const report: EngineScaleReport = {
      engine,
      database: null,
      sizes: [],
      ratio: {},
      target: null,
      failure: null,
      problems: [],
    };
    try {
      await runEngine(engine, options, report, progress);
    } catch (error) {
      report.failure = describeError(error);
      progress(`${engine}: FAILED ${report.failure}`);
    }
    engines.push(report);
  }
  return {
    bench: "scale",
    small: options.small,
    grants: options.grants,
    calls: options.calls,
    warmUp: options.warmUp,
    budgetSeconds: options.budgetSeconds,
    analyze: options.analyze,
    machine,
    engines,
  };
}

/** True when every engine ran through and every check held (the target is reported, not asserted). */
export function scaleBenchSucceeded(report: ScaleBenchReport): boolean {
  return report.engines.every((engine) => engine.failure === null && engine.problems.length === 0);
}

/**
 * One engine: a fresh database, a keyed world whose `idp` provider lists the ping API, one real
 * grant made by a connect flow; then, in the same processes, seed to the small size and measure,
 * seed to the large size and measure again.
 */
async function runEngine(
  engine: Engine,
  options: ScaleBenchOptions,
  report: EngineScaleReport,
  progress: (line: string) => void,
): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    progress(`${engine}: starting the database, the ping API and the world, connecting one account…`);
    const database: BenchDatabase = await openBenchDatabase(engine);
    cleanups.push(() => database.drop());
    report.database = database.description;
    const ping = await startPingApiHandle(false);
    cleanups.push(() => ping.stop());
    const world = await startKeyedWorld({ databaseUrl: database.url, apiBaseUrls: [ping.baseUrl] });
    cleanups.push(() => world.stop());
    // The world's clock stands still: the grant's token is never near expiry, never refreshed.
    const grantId = await connectIdpGrant(world, `bench-${engine}`);
    const vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
    const { appId } = await vault.getApp();
    const { accountIdentifier } = await vault.getGrant(grantId);
    const url = `${ping.baseUrl}/ping`;
    // One signal for every credential call, never aborted: withinTimeLimit bounds each call.
    const signal = new AbortController().signal;
    const first = await askCredential(world.baseUrl, world.apiKey, grantId, url, signal);
    if (first.status !== 200 || !first.authorization) {
      throw new Error(`the credential endpoint answered ${first.status}: ${first.body.slice(0, 200)}`);
    }
    const authorization = first.authorization;
    await ping.expect(authorization);

    const calls: Record<Operation, () => Promise<void>> = {
      credential: async () => {
        const answer = await askCredential(world.baseUrl, world.apiKey, grantId, url, signal);
        if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${answer.body.slice(0, 200)}`);
      },
      "vault.request()": async () => {
        const response = await vault.request("GET", url, { grantId });
        await response.text();
        if (response.status !== 200) throw new Error(`the API answered ${response.status}`);
      },
      "direct call": async () => {
        const answer = await nodeGet(url, { authorization });
        if (answer.status !== 200) throw new Error(`the API answered ${answer.status}`);
      },
      "listGrants()": async () => {
        const page = await vault.listGrants();
        if (page.grants.length === 0) throw new Error("the first page was empty");
      },
      "listGrants(account)": async () => {
        const page = await vault.listGrants({ accountIdentifier });
        if (page.grants.length !== 1 || page.grants[0]?.grantId !== grantId) {
          throw new Error(`expected the one grant of ${accountIdentifier}, got ${page.grants.length}`);
        }
      },
      "createConnectSession()": async () => {
        await vault.createConnectSession({ allowedProviders: ["idp"] });
      },
    };

    let inApp = 1;
    for (const size of [options.small, options.grants]) {
      const toAdd = size - inApp;
      progress(`${engine}: seeding ${toAdd} grants (to ${size})…`);
      let lastShown = 0;
      const seeded = await seedGrants({
        databaseUrl: database.url,
        appId,
        grants: toAdd,
        onBatch: (added) => {
          if (added - lastShown >= 200_000) {
            lastShown = added;
            progress(`${engine}:   ${added} of ${toAdd}`);
          }
        },
      });
      inApp = size;
      const analyzeMs = options.analyze ? await analyzeDatabase(database.url) : null;
      progress(
        `${engine}: seeded ${toAdd} grants in ${(seeded.ms / 1000).toFixed(1)} s ` +
          `(${Math.round(seeded.rowsPerSecond)}/s)` +
          `${analyzeMs === null ? "" : `, statistics in ${(analyzeMs / 1000).toFixed(1)} s`}; measuring…`,
      );
      // SQLite's seeding and statistics ran on this thread: idle connections whose keep-alive
      // time ran out meanwhile are closed now, before a measured call could be sent on one.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const latencyMs: SizeReport["latencyMs"] = {};
      for (const operation of OPERATIONS) {
        const samples = await measure(operation, calls[operation], options);
        const summary = summarize(samples);
        if (summary) latencyMs[operation] = summary;
        if (summary && summary.n < options.calls) {
          progress(
            `${engine}:   ${operation}: ${summary.n} calls within the ${options.budgetSeconds} s budget`,
          );
        }
      }
      report.sizes.push({
        grants: size,
        seeded: {
          grants: toAdd,
          seconds: seeded.ms / 1000,
          grantsPerSecond: seeded.rowsPerSecond,
        },
        analyzeSeconds: analyzeMs === null ? null : analyzeMs / 1000,
        latencyMs,
      });
    }
    const [small, large] = report.sizes;
    if (small && large) {
      for (const operation of OPERATIONS) {
        const before = small.latencyMs[operation];
        const after = large.latencyMs[operation];
        if (before && after)
          report.ratio[operation] = { p50: after.p50 / before.p50, p99: after.p99 / before.p99 };
      }
      const credential = report.ratio.credential;
      if (credential) {
        report.target = { limit: TARGET_RATIO, value: credential.p50, met: credential.p50 <= TARGET_RATIO };
      }
    }
    const counts = await ping.counts();
    if (counts.refused !== 0) report.problems.push(`the API refused ${counts.refused} calls`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => report.problems.push(`clean-up: ${describeError(error)}`));
    }
  }
}

/** Warm-up, then up to `calls` measured calls one at a time, within the budget; the first failure ends the run. */
async function measure(
  operation: Operation,
  call: () => Promise<void>,
  options: ScaleBenchOptions,
): Promise<number[]> {
  const run = async (index: number, of: number) => {
    try {
      await withinTimeLimit(call, CALL_TIME_LIMIT_MS);
    } catch (error) {
      throw new Error(`${operation}, call ${index + 1} of ${of}: ${describeError(error)}`);
    }
  };
  // A slow operation warms up within a fifth of the budget.
  const warmUpUntil = performance.now() + options.budgetSeconds * 200;
  for (let index = 0; index < options.warmUp && performance.now() < warmUpUntil; index++) {
    await run(index, options.warmUp);
  }
  const samples: number[] = [];
  const deadline = performance.now() + options.budgetSeconds * 1000;
  for (let index = 0; index < options.calls && performance.now() < deadline; index++) {
    const startedAt = performance.now();
    await run(index, options.calls);
    samples.push(performance.now() - startedAt);
  }
  return samples;
}
