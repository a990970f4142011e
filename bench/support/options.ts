import { parseArgs } from "node:util";

export interface BenchOptions {
  /** Measured flows per mode. */
  flows: number;
  /** Mode B's fixed polling interval. */
  pollIntervalMs: number;
  /** Mode B flows in flight at once. */
  concurrency: number;
  /** Print only the machine-readable JSON line. */
  json: boolean;
}

export const USAGE = `Usage: npm run bench:connect -- [--flows N] [--poll-interval-ms MS] [--concurrency N] [--json]

  --flows N             measured connect flows per mode (default 30)
  --poll-interval-ms MS mode B's fixed polling interval (default 2000, the reference product's default)
  --concurrency N       mode B flows in flight at once (default 5; mode A runs one at a time)
  --json                print only one JSON line with the results`;

/** Parses the command line; throws with a readable message on bad input. */
export function parseOptions(argv: string[]): BenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      flows: { type: "string", default: "30" },
      "poll-interval-ms": { type: "string", default: "2000" },
      concurrency: { type: "string", default: "5" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  return {
    // Upper bounds keep a typo from turning into an hour-long run.
    flows: integerIn("--flows", values.flows, 1, 1000),
    pollIntervalMs: integerIn("--poll-interval-ms", values["poll-interval-ms"], 100, 60_000),
    concurrency: integerIn("--concurrency", values.concurrency, 1, 50),
    json: values.json,
  };
}

function integerIn(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new Error(`${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}
