import { startConnectWorld } from "../../test/harness/connect-world.js";
import { fixedPollFlow } from "./fixed-poll-flow.js";
import type { RunFlow, VaultTarget } from "./flow.js";
import { longPollFlow } from "./long-poll-flow.js";
import type { BenchOptions } from "./options.js";
import { type FlowFailure, runFlows } from "./run-flows.js";
import { type LatencySummary, summarize } from "./stats.js";

export interface ModeReport {
  mode: "long-poll" | "fixed-poll";
  label: string;
  concurrency: number;
  latencyMs: LatencySummary | null;
  failures: FlowFailure[];
}

export interface BenchReport {
  bench: "connect-latency";
  flows: number;
  /** Unmeasured flows run first in each mode. */
  warmUpFlows: number;
  pollIntervalMs: number;
  modes: [ModeReport, ModeReport];
  /** p50(fixed-poll) / p50(long-poll); null when the long-poll p50 is not positive (or missing). */
  ratioP50: number | null;
  /** Checks across all flows (e.g. each flow created its own grant); empty when all held. */
  problems: string[];
}

/** Unmeasured flows per mode first: they pay for JIT compilation, OIDC discovery, first connections. */
const WARM_UP_FLOWS = 1;

/**
 * One connect world (vault over HTTP on SQLite, node-oidc-provider, on loopback) for the whole
 * run; mode A's flows one at a time, then mode B's, the same number of each.
 */
export async function runBench(
  options: BenchOptions,
  progress: (line: string) => void,
): Promise<BenchReport> {
  const world = await startConnectWorld();
  try {
    const target: VaultTarget = { baseUrl: world.baseUrl, apiKey: world.apiKey, provider: "idp" };
    // Both modes get the same think times, spread over one poll interval (see FlowSpec.thinkMs).
    const run = (runFlow: RunFlow, loginPrefix: string, flows: number, concurrency: number) =>
      runFlows(target, runFlow, { loginPrefix, flows, concurrency, thinkSpreadMs: options.pollIntervalMs });
    const modes = [
      {
        mode: "long-poll" as const,
        label: "A  long-poll (SDK vault.connect())",
        prefix: "a",
        concurrency: 1,
        run: longPollFlow,
      },
      {
        mode: "fixed-poll" as const,
        label: `B  fixed ${options.pollIntervalMs} ms polling`,
        prefix: "b",
        concurrency: options.concurrency,
        run: fixedPollFlow(options.pollIntervalMs),
      },
    ];
    const grants = new Map<string, string>();
    const problems: string[] = [];
    const reports: ModeReport[] = [];
    for (const mode of modes) {
      progress(
        `${mode.label}: ${WARM_UP_FLOWS} warm-up + ${options.flows} flows, ${mode.concurrency} at a time…`,
      );
      const warmUp = await run(mode.run, `warmup-${mode.prefix}`, WARM_UP_FLOWS, mode.concurrency);
      const measured = await run(mode.run, mode.prefix, options.flows, mode.concurrency);
      for (const sample of [...warmUp.samples, ...measured.samples]) {
        const other = grants.get(sample.grantId);
        if (other) problems.push(`${sample.accountIdentifier} got the grant of ${other} (${sample.grantId})`);
        grants.set(sample.grantId, sample.accountIdentifier);
      }
      reports.push({
        mode: mode.mode,
        label: mode.label,
        concurrency: mode.concurrency,
        latencyMs: summarize(measured.samples.map((sample) => sample.latencyMs)),
        failures: [...warmUp.failures, ...measured.failures],
      });
    }
    const [longPoll, fixedPoll] = reports as [ModeReport, ModeReport];
    const a = longPoll.latencyMs?.p50;
    const b = fixedPoll.latencyMs?.p50;
    return {
      bench: "connect-latency",
      flows: options.flows,
      warmUpFlows: WARM_UP_FLOWS,
      pollIntervalMs: options.pollIntervalMs,
      modes: [longPoll, fixedPoll],
      ratioP50: a !== undefined && b !== undefined && a > 0 ? b / a : null,
      problems,
    };
  } finally {
    await world.stop();
  }
}
