import { setTimeout as delay } from "node:timers/promises";

/** A flow that takes longer has failed (a scripted flow takes well under a second, plus its think time). */
export const FLOW_TIME_LIMIT_MS = 30_000;

/** The vault the flows run against, as an app sees it. */
export interface VaultTarget {
  baseUrl: string;
  apiKey: string;
  /** The provider the user picks on the Connect page. */
  provider: string;
}

/** One connect flow to run. */
export interface FlowSpec {
  /** Distinct per flow and mode, so each flow signs in a new account and creates its own grant. */
  login: string;
  /**
   * How long the user takes before opening the link. Spread over one poll interval across the
   * flows (see thinkTimes()), so the callback lands at every phase of a fixed polling schedule — as
   * with real users, who take an arbitrary time. (Without it, every flow of this fast, scripted user would
   * finish at the same phase, and fixed polling would show one latency, not its distribution.)
   */
  thinkMs: number;
  /** The flow's time limit. */
  signal: AbortSignal;
}

/** What one successful flow measured. */
export interface FlowSample {
  /** From the callback's response fully received to the app holding the result; ms. */
  latencyMs: number;
  grantId: string;
  accountIdentifier: string;
}

/** One flow, by one waiting strategy. */
export type RunFlow = (target: VaultTarget, flow: FlowSpec) => Promise<FlowSample>;

/** Sleeps `ms` (aborted with `signal`'s reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(Math.max(0, ms), undefined, { signal });
}
