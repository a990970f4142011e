import { parseArgs } from "node:util";
import { integerIn } from "./integer-flag.js";
import { type Engine, enginesFlag } from "./request-options.js";

export interface ScaleBenchOptions {
  /** Grants in the app at the first measurement (the real one included). */
  small: number;
  /** Grants in the app at the second measurement. */
  grants: number;
  /** Measured calls per operation per size. */
  calls: number;
  /** Unmeasured calls per operation first, at each size. */
  warmUp: number;
  /** An operation stops early after this long (its n says how many it made). */
  budgetSeconds: number;
  engines: Engine[];
  /** Take planner statistics after each seeding (ANALYZE; VACUUM (ANALYZE) on PostgreSQL). */
  analyze: boolean;
  json: boolean;
}

export const SCALE_USAGE = `Usage: npm run bench:scale -- [--grants N] [--small N] [--calls N] [--warm-up N] [--budget-seconds S] [--engine E] [--no-analyze] [--json]

  --small N           grants in the app at the first measurement (default 1000)
  --grants N          grants in the app at the second measurement (default 1000000)
  --calls N           measured calls per operation at each size (default 500)
  --warm-up N         unmeasured calls per operation first, at each size (default 50)
  --budget-seconds S  an operation stops early after S seconds of measured calls (default 30)
  --engine E          sqlite, postgres or both (default both; PostgreSQL: TEST_DATABASE_URL, a superuser
                      URL of an existing server, or else a throwaway cluster from the local binaries)
  --no-analyze        no planner statistics after seeding (the vault itself never gathers them on SQLite)
  --json              print only one JSON line with the results`;

/** Parses the command line; throws with a readable message on bad input. */
export function parseScaleOptions(argv: string[]): ScaleBenchOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      small: { type: "string", default: "1000" },
      grants: { type: "string", default: "1000000" },
      calls: { type: "string", default: "500" },
      "warm-up": { type: "string", default: "50" },
      "budget-seconds": { type: "string", default: "30" },
      engine: { type: "string", default: "both" },
      "no-analyze": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const engines = enginesFlag(values.engine);
  const small = integerIn("--small", values.small, 1, 1_000_000);
  const grants = integerIn("--grants", values.grants, 1, 10_000_000);
  if (grants <= small) throw new Error(`--grants (${grants}) must be more than --small (${small})`);
  return {
    small,
    grants,
    calls: integerIn("--calls", values.calls, 1, 100_000),
    warmUp: integerIn("--warm-up", values["warm-up"], 0, 10_000),
    budgetSeconds: integerIn("--budget-seconds", values["budget-seconds"], 1, 3600),
    engines,
    analyze: !values["no-analyze"],
    json: values.json,
  };
}
