import { parseArgs } from "node:util";
import { integerIn, oneOf } from "./integer-flag.js";

export type HerdEngine = "sqlite" | "postgres";
/** How the PostgreSQL run's two other vaults run: in their own OS processes, or in the bench's. */
export type PeerPlacement = "process" | "in-process";

export interface HerdOptions {
  /** Concurrent calls per herd. */
  callers: number;
  /** Herds per engine, one after the other, each on a freshly expired token. */
  rounds: number;
  engines: HerdEngine[];
  peers: PeerPlacement;
  /** Whether the provider rotates refresh tokens (then a second refresh with the old one is refused). */
  refreshTokens: "rotating" | "reusable";
  /** Print only the machine-readable JSON line. */
  json: boolean;
}

export const HERD_USAGE = `Usage: npm run bench:herd -- [--callers N] [--rounds N] [--engine E] [--peers P] [--refresh-tokens R] [--json]

  --callers N   concurrent credential calls on the expired grant (default 500)
  --rounds N    herds per engine, each after the clocks moved past the new token's expiry (default 1)
  --engine E    sqlite (1 vault), postgres (3 vaults on one database) or both (default both;
                PostgreSQL: TEST_DATABASE_URL, a superuser URL of an existing server, or else a
                throwaway cluster from the local binaries)
  --peers P     PostgreSQL's 2nd and 3rd vault: process, each in its own OS process (default), or
                in-process, in the bench's process (each still with its own connection pool and
                single-flight map)
  --refresh-tokens R
                rotating: the provider issues a new refresh token on every refresh and refuses the
                old one (default; a second, racing refresh then fails, and the grant is marked for
                re-authorization); reusable: it keeps the refresh token (node-oidc-provider's
                default for confidential clients; a second refresh then only shows in the counts)
  --json        print only one JSON line with the results`;

const ENGINES: Record<string, HerdEngine[]> = {
  sqlite: ["sqlite"],
  postgres: ["postgres"],
  both: ["postgres", "sqlite"],
};

/** Parses the command line; throws with a readable message on bad input. */
export function parseHerdOptions(argv: string[]): HerdOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      callers: { type: "string", default: "500" },
      rounds: { type: "string", default: "1" },
      engine: { type: "string", default: "both" },
      peers: { type: "string", default: "process" },
      "refresh-tokens": { type: "string", default: "rotating" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return "help";
  const engine = oneOf("--engine", values.engine, ["sqlite", "postgres", "both"] as const);
  return {
    // Upper bounds keep a typo from turning into an hour-long run.
    callers: integerIn("--callers", values.callers, 1, 5000),
    rounds: integerIn("--rounds", values.rounds, 1, 50),
    engines: ENGINES[engine] as HerdEngine[],
    peers: oneOf("--peers", values.peers, ["process", "in-process"] as const),
    refreshTokens: oneOf("--refresh-tokens", values["refresh-tokens"], ["rotating", "reusable"] as const),
    json: values.json,
  };
}
