import type { FlowSample, RunFlow, VaultTarget } from "./flow.js";
import { FLOW_TIME_LIMIT_MS } from "./flow.js";
import { thinkTimes } from "./think-times.js";

export interface RunFlowsOptions {
  /** Prefix of the flows' logins: distinct per mode, so no two flows share an account. */
  loginPrefix: string;
  flows: number;
  /** Flows in flight at once. */
  concurrency: number;
  /** The think times are spread over [0, thinkSpreadMs) (see thinkTimes()). */
  thinkSpreadMs: number;
}

export interface FlowFailure {
  /** The flow's login, which names it. */
  flow: string;
  message: string;
}

export interface FlowsOutcome {
  samples: FlowSample[];
  failures: FlowFailure[];
}

/**
 * Runs `options.flows` flows, at most `concurrency` at a time, each with its own time limit; a
 * failed flow is recorded, not thrown, so one bad flow does not hide the others' figures.
 */
export async function runFlows(
  target: VaultTarget,
  runFlow: RunFlow,
  options: RunFlowsOptions,
): Promise<FlowsOutcome> {
  const samples: FlowSample[] = [];
  const failures: FlowFailure[] = [];
  const thinkMs = thinkTimes(options.flows, options.thinkSpreadMs);
  let next = 0;
  const worker = async () => {
    // Workers take the next flow index in turn (one thread: no two take the same one).
    for (let index = next++; index < options.flows; index = next++) {
      const login = `${options.loginPrefix}-${String(index + 1).padStart(4, "0")}`;
      const timeLimit = AbortSignal.timeout(FLOW_TIME_LIMIT_MS);
      try {
        samples.push(
          await runFlow(target, {
            login,
            thinkMs: thinkMs[index] ?? 0,
            signal: timeLimit,
          }),
        );
      } catch (error) {
        const message = describe(error);
        failures.push({
          flow: login,
          message: timeLimit.aborted ? `timed out after ${FLOW_TIME_LIMIT_MS} ms (${message})` : message,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.flows) }, worker));
  return { samples, failures };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
