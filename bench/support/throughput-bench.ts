import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Vault } from "../../packages/sdk/src/index.js";
import { openBenchDatabase } from "./bench-database.js";
import { cpuMicros } from "./child-rpc.js";
import { askCredential, describeError } from "./credential-call.js";
import { startKeyedWorld } from "./keyed-world.js";
import { connectIdpGrant } from "./long-poll-flow.js";
import { PONG } from "./ping-api.js";
import { startPingApiHandle } from "./ping-api-process.js";
import { type LatencySummary, summarize } from "./stats.js";
import type { Placement, ThroughputOptions } from "./throughput-options.js";
import { startPeerVaultProcess, type VaultProcess } from "./vault-process.js";

/** One mode's measured slices, together. */
export interface ModeFigures {
  /** Requests answered 200 with the API's body. */
  requests: number;
  /** Requests that failed (thrown, timed out, or any other answer). */
  errors: number;
  /** Time the mode's workers ran, summed over its slices. */
  seconds: number;
  /** `requests / seconds`. */
  requestsPerSecond: number;
  /** Of the successful requests, from the call to its whole body received. */
  latencyMs: LatencySummary | null;
  /**
   * CPU time (user + system) per successful request, in ms, of each process: the bench's (the
   * workers; with `--processes single` also the vault and the API), the vault's and the API's
   * (null when they run in the bench's). Unlike requests/s, hardly moved by other load on the machine.
   */
  cpuMsPerRequest: CpuFigures;
  /** The first few distinct error messages. */
  errorSamples: string[];
}

export interface ThroughputReport {
  bench: "proxy-throughput";
  seconds: number;
  concurrency: number;
  slices: number;
  warmUpSeconds: number;
  processes: Placement;
  /** Which OS process each role ran in. */
  pids: { workers: number; vault: number | null; api: number | null };
  machine: { node: string; cpus: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  database: string | null;
  url: string | null;
  direct: ModeFigures | null;
  proxy: ModeFigures | null;
  /** requests/s of B over A; null without both. */
  ratio: number | null;
  target: { minRatio: number; met: boolean } | null;
  /** Why the run stopped (a set-up failure); null when it ran through. */
  failure: string | null;
  /** Checks after the run (every request reached the API once); empty when all held. */
  problems: string[];
}

/** The target: proxy mode keeps at least this share of direct requests/s. */
const MIN_RATIO = 0.4;
/** One request must not take longer (it then counts as an error). */
const REQUEST_TIME_LIMIT_MS = 10_000;
const ERROR_SAMPLES = 5;

type Call = (signal: AbortSignal) => Promise<void>;

export interface CpuFigures {
  bench: number;
  vault: number | null;
  api: number | null;
}

/**
 * A fresh SQLite database; the bench's ping API; a keyed world on that database whose `idp`
 * provider has the ping API as its API base URL; one grant by a browserless connect flow; then
 * (by default) a second vault server on the same database in its own process, which B goes
 * through. A and B each run `concurrency` closed-loop workers for the same total time.
 */
export async function runThroughputBench(
  options: ThroughputOptions,
  progress: (line: string) => void,
): Promise<ThroughputReport> {
  const separate = options.processes === "separate";
  const report: ThroughputReport = {
    bench: "proxy-throughput",
    seconds: options.seconds,
    concurrency: options.concurrency,
    slices: options.slices,
    warmUpSeconds: options.warmUpSeconds,
    processes: options.processes,
    pids: { workers: process.pid, vault: null, api: null },
    machine: {
      node: process.versions.node,
      cpus: availableParallelism(),
      loadAverageBefore: loadAverage(),
      loadAverageAfter: [],
    },
    database: null,
    url: null,
    direct: null,
    proxy: null,
    ratio: null,
    target: null,
    failure: null,
    problems: [],
  };
  const cleanups: (() => Promise<void>)[] = [];
  try {
    progress(`starting the database, the API${separate ? " (own process)" : ""} and the connect world…`);
    const database = await openBenchDatabase("sqlite");
    cleanups.push(() => database.drop());
    report.database = database.description;
    const api = await startPingApiHandle(separate);
    cleanups.push(() => api.stop());
    report.pids.api = api.pid;
    const world = await startKeyedWorld({ databaseUrl: database.url, apiBaseUrls: [api.baseUrl] });
    cleanups.push(() => world.stop());

    const grantId = await connectIdpGrant(world, "bench-proxy");
    let vaultBaseUrl = world.baseUrl;
    let measuredVault: VaultProcess | undefined;
    report.pids.vault = process.pid;
    if (separate) {
      progress("starting the measured vault in its own process…");
      // Its clock stands still: the grant's token is never near expiry, so no refresh during a run.
      const measured = await startPeerVaultProcess(world, "the measured vault process");
      cleanups.push(() => measured.stop());
      vaultBaseUrl = measured.baseUrl;
      report.pids.vault = measured.pid;
      measuredVault = measured;
    }

    const url = `${api.baseUrl}/ping`;
    report.url = url;
    // A's token: asked of the vault once, as an app that kept it would have it.
    const credential = await askCredential(
      vaultBaseUrl,
      world.apiKey,
      grantId,
      url,
      AbortSignal.timeout(REQUEST_TIME_LIMIT_MS),
    );
    if (!credential.authorization) {
      throw new Error(`the credential endpoint answered ${credential.status}: ${credential.body}`);
    }
    const authorization = credential.authorization;
    await api.expect(authorization);
    const vault = new Vault({ apiKey: world.apiKey, baseUrl: vaultBaseUrl });
    const calls: Record<"A" | "B", Call> = {
      A: async (signal) => expectPong(await fetch(url, { headers: { authorization }, signal })),
      B: async (signal) => expectPong(await vault.proxyRequest("GET", url, { grantId, signal })),
    };

    const remoteVault = measuredVault;
    const cpu = async (): Promise<CpuFigures> => {
      const [vault, apiCpu] = await Promise.all([remoteVault?.cpuMicros() ?? null, api.cpuMicros()]);
      return { bench: cpuMicros(), vault, api: apiCpu };
    };
    const slice = async (mode: "A" | "B", durationMs: number, warmUp = false): Promise<SliceResult> => {
      const before = await cpu();
      const result = await runSlice(calls[mode], options.concurrency, durationMs);
      const after = await cpu();
      return { ...result, cpuMicros: difference(after, before), warmUp };
    };

    const results: Record<"A" | "B", SliceResult[]> = { A: [], B: [] };
    if (options.warmUpSeconds > 0) {
      progress(`warm-up: ${options.warmUpSeconds} s per mode, ${options.concurrency} workers…`);
      for (const mode of ["A", "B"] as const) {
        results[mode].push(await slice(mode, options.warmUpSeconds * 1000, true));
      }
    }
    const sliceMs = (options.seconds * 1000) / options.slices;
    progress(
      `measuring: ${options.seconds} s per mode in ${options.slices} slices of ${(sliceMs / 1000).toFixed(1)} s, ` +
        `${options.concurrency} workers…`,
    );
    for (let index = 0; index < options.slices; index++) {
      // A B, B A, A B…: each mode is as often first as second.
      for (const mode of index % 2 === 0 ? (["A", "B"] as const) : (["B", "A"] as const)) {
        results[mode].push(await slice(mode, sliceMs));
      }
    }

    report.direct = figures(results.A);
    report.proxy = figures(results.B);
    if (report.direct.requestsPerSecond > 0) {
      report.ratio = report.proxy.requestsPerSecond / report.direct.requestsPerSecond;
      report.target = { minRatio: MIN_RATIO, met: report.ratio >= MIN_RATIO };
    }
    // Every successful request, warm-up included, reached the API exactly once with the token.
    const answered = [...results.A, ...results.B].reduce((sum, slice) => sum + slice.latencies.length, 0);
    const counts = await api.counts();
    if (counts.ok !== answered || counts.refused !== 0) {
      report.problems.push(
        `the API answered ${counts.ok} requests and refused ${counts.refused}; expected ${answered} and 0`,
      );
    }
  } catch (error) {
    report.failure = describeError(error);
    progress(`FAILED ${report.failure}`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => report.problems.push(`clean-up: ${describeError(error)}`));
    }
    report.machine.loadAverageAfter = loadAverage();
  }
  return report;
}

/** True when the run went through with no failed request and every check held (the target is only reported). */
export function throughputSucceeded(report: ThroughputReport): boolean {
  return (
    report.failure === null &&
    report.problems.length === 0 &&
    report.direct?.errors === 0 &&
    report.proxy?.errors === 0
  );
}

interface SliceResult {
  elapsedMs: number;
  /** Of the successful requests. */
  latencies: number[];
  errors: number;
  errorMessages: string[];
  /** CPU time each process spent during the slice, in µs. */
  cpuMicros: CpuFigures;
  warmUp: boolean;
}

/**
 * `concurrency` workers, each making one request after the other until `durationMs` have passed
 * (a closed loop: a new request starts when the previous one ended). The slice lasts until the
 * last request in flight at the deadline has finished, and that is its elapsed time.
 */
export async function runSlice(
  call: Call,
  concurrency: number,
  durationMs: number,
): Promise<Omit<SliceResult, "cpuMicros" | "warmUp">> {
  const result = { elapsedMs: 0, latencies: [] as number[], errors: 0, errorMessages: [] as string[] };
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const signal = AbortSignal.timeout(REQUEST_TIME_LIMIT_MS);
      const callStartedAt = performance.now();
      try {
        await call(signal);
        result.latencies.push(performance.now() - callStartedAt);
      } catch (error) {
        result.errors++;
        const message = signal.aborted ? `timed out after ${REQUEST_TIME_LIMIT_MS} ms` : describeError(error);
        if (result.errorMessages.length < ERROR_SAMPLES && !result.errorMessages.includes(message)) {
          result.errorMessages.push(message);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.elapsedMs = performance.now() - startedAt;
  return result;
}

function figures(slices: SliceResult[]): ModeFigures {
  const measured = slices.filter((slice) => !slice.warmUp);
  const latencies = measured.flatMap((slice) => slice.latencies);
  const seconds = measured.reduce((sum, slice) => sum + slice.elapsedMs, 0) / 1000;
  const errorSamples = [...new Set(slices.flatMap((slice) => slice.errorMessages))].slice(0, ERROR_SAMPLES);
  const perRequest = (pick: (cpu: CpuFigures) => number | null): number | null => {
    const values = measured.map((slice) => pick(slice.cpuMicros));
    if (latencies.length === 0 || values.some((value) => value === null)) return null;
    return (values as number[]).reduce((sum, value) => sum + value, 0) / 1000 / latencies.length;
  };
  return {
    requests: latencies.length,
    // Warm-up errors count too: any failed request is a failure of the run.
    errors: slices.reduce((sum, slice) => sum + slice.errors, 0),
    seconds,
    requestsPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    latencyMs: summarize(latencies),
    cpuMsPerRequest: {
      bench: perRequest((cpu) => cpu.bench) ?? 0,
      vault: perRequest((cpu) => cpu.vault),
      api: perRequest((cpu) => cpu.api),
    },
    errorSamples,
  };
}

function difference(after: CpuFigures, before: CpuFigures): CpuFigures {
  const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    bench: after.bench - before.bench,
    vault: minus(after.vault, before.vault),
    api: minus(after.api, before.api),
  };
}

/** Reads the whole body (part of the request's time, as for any caller) and requires the API's 200. */
async function expectPong(response: Response): Promise<void> {
  const body = await response.text();
  if (response.status !== 200 || body !== PONG) {
    throw new Error(`answered ${response.status}: ${body.slice(0, 200)}`);
  }
}

/** The 1-, 5- and 15-minute load averages: everything shares this machine, so its load shows in the figures. */
export function loadAverage(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100);
}
