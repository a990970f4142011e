import { parseArgs } from "node:util";
import { integerIn, oneOf } from "./integer-flag.js";
import type { Placement } from "./throughput-options.js";

export type Engine = "sqlite" | "postgres";

/** Which API the calls go to: the bench's own (no token check beyond a string compare) or the harness's. */
export type ApiTarget = "ping" | "resource";

export type DirectClient = "fetch" | "node";

export interface RequestBenchOptions {
  /** Measured calls per path (A and B each) per engine. */
  calls: number;
  /** Unmeasured calls per path first. */
  warmUp: number;
  engines: Engine[];
  api: ApiTarget;
  processes: Placement;
  /** How path A calls the API: with `fetch` (as most callers would), or with Node's HTTP client (as the SDK does). */
  direct: DirectClient;
  /** Print only the machine-readable JSON line. */
  json: boolean;
}

export const REQUEST_USAGE = `Usage: npm run bench:request -- [--calls N] [--warm-up N] [--engine E] [--api A] [--processes P] [--direct C] [--json]

  --calls N     measured calls per path (A direct, B vault.request()) per engine (default 2000)
  --warm-up N   unmeasured calls per path first (default 200)
  --engine E    sqlite, postgres or both (default both; PostgreSQL: TEST_DATABASE_URL, a superuser
                URL of an existing server, or else a throwaway cluster from the local binaries)
  --api A       ping: the bench's own API on loopback, which only compares the Authorization header
                (default; isolates the vault's share); resource: the harness's resource API
                (GET /user), which introspects every token at the OAuth provider
  --processes P single: the client, the measured vault, the API and the OAuth provider all in
                the bench's process (default); separate: the measured vault and the ping API each
                in their own OS process, as deployed (not with --api resource)
  --direct C    how A calls the API: fetch (default; what a caller would write) or node (Node's
                HTTP client, which vault.request() uses for its own call to the API: then A and B
                differ only by the vault)
  --json        print only one JSON line with the results`;

const ENGINES = new Map<string, Engine[]>([
  ["sqlite", ["sqlite"]],
  ["postgres", ["postgres"]],
  ["both", ["sqlite", "postgres"]],
]);

/** `--engine`'s value (sqlite, postgres or both) as the engines to run, in order; throws otherwise. */
export function enginesFlag(text: string): Engine[] {
  const engines = ENGINES.get(text);
  if (!engines) throw new Error(`--engine must be sqlite, postgres or both, got ${JSON.stringify(text)}`);
  return engines;
}

/** Parses the command line; throws with a readable message on bad input. */
export function parseRequestOptions(argv: string[]): RequestBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      calls: { type: "string", default: "2000" },
      "warm-up": { type: "string", default: "200" },
      engine: { type: "string", default: "both" },
      api: { type: "string", default: "ping" },
      processes: { type: "string", default: "single" },
      direct: { type: "string", default: "fetch" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const engines = enginesFlag(values.engine);
  const api = oneOf("--api", values.api, ["ping", "resource"] as const);
  const processes = oneOf("--processes", values.processes, ["separate", "single"] as const);
  if (api === "resource" && processes === "separate") {
    throw new Error(
      "--api resource needs --processes single (the resource API lives in the bench's process)",
    );
  }
  return {
    // Upper bounds keep a typo from turning into an hour-long run.
    calls: integerIn("--calls", values.calls, 1, 100_000),
    warmUp: integerIn("--warm-up", values["warm-up"], 0, 10_000),
    engines,
    api,
    processes,
    direct: oneOf("--direct", values.direct, ["fetch", "node"] as const),
    json: values.json,
  };
}
