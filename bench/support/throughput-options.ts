import { parseArgs } from "node:util";
import { integerIn, oneOf } from "./integer-flag.js";

/** Where the vault and the API run: each in its own OS process, or all in the bench's. */
export type Placement = "separate" | "single";

export interface ThroughputOptions {
  /** Measured seconds per mode. */
  seconds: number;
  /** Workers per mode, each with one request in flight at a time. */
  concurrency: number;
  /** Each mode's measured time is cut into this many slices, A and B alternating. */
  slices: number;
  /** Unmeasured seconds per mode first. */
  warmUpSeconds: number;
  processes: Placement;
  /** Print only the machine-readable JSON line. */
  json: boolean;
}

export const THROUGHPUT_USAGE = `Usage: npm run bench:proxy -- [--seconds N] [--concurrency N] [--slices N] [--warm-up-seconds N] [--processes P] [--json]

  --seconds N          measured seconds per mode (A direct, B vault.proxyRequest()) (default 10)
  --concurrency N      workers per mode, one request in flight each (default 16)
  --slices N           each mode's time is cut into N slices run A B B A A B…, so drift (load from
                       other processes, the database growing) falls on both alike (default 5)
  --warm-up-seconds N  unmeasured seconds per mode first (default 2)
  --processes P        separate: the vault and the API each in their own OS process, the workers in
                       the bench's (default; as deployed); single: all in the bench's process
  --json               print only one JSON line with the results`;

/** Parses the command line; throws with a readable message on bad input. */
export function parseThroughputOptions(argv: string[]): ThroughputOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      seconds: { type: "string", default: "10" },
      concurrency: { type: "string", default: "16" },
      slices: { type: "string", default: "5" },
      "warm-up-seconds": { type: "string", default: "2" },
      processes: { type: "string", default: "separate" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  return {
    // Upper bounds keep a typo from turning into an hour-long run.
    seconds: integerIn("--seconds", values.seconds, 1, 600),
    concurrency: integerIn("--concurrency", values.concurrency, 1, 256),
    slices: integerIn("--slices", values.slices, 1, 100),
    warmUpSeconds: integerIn("--warm-up-seconds", values["warm-up-seconds"], 0, 60),
    processes: oneOf("--processes", values.processes, ["separate", "single"] as const),
    json: values.json,
  };
}
