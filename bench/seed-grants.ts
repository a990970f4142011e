/**
 * Adds many grants to an app of an existing vault database, quickly (one INSERT … SELECT per
 * batch), for trying the vault at scale by hand; the scale bench uses the same module. See
 * bench/README.md, "Scale".
 *
 *   tsx bench/seed-grants.ts --database-url URL --app APP_ID --grants N
 */
import "./support/source-aliases.js";
import { parseArgs } from "node:util";
import { integerIn } from "./support/integer-flag.js";

const USAGE = `Usage: tsx bench/seed-grants.ts --database-url URL --app APP_ID --grants N [--no-analyze]

  --database-url URL  the vault's database: a postgres:// URL or a SQLite file path
  --app APP_ID        the app the grants belong to; it needs one grant with credentials, which
                      the seeded rows copy (connect one account first)
  --grants N          grants to add (1 to 10000000), each with a credentials row
  --no-analyze        skip the planner statistics afterwards (ANALYZE; VACUUM (ANALYZE) on PostgreSQL)`;

let options: { databaseUrl: string; appId: string; grants: number; analyze: boolean };
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      "database-url": { type: "string" },
      app: { type: "string" },
      grants: { type: "string" },
      "no-analyze": { type: "boolean", default: false },
    },
  });
  if (!values["database-url"] || !values.app || !values.grants) {
    throw new Error("--database-url, --app and --grants are required");
  }
  options = {
    databaseUrl: values["database-url"],
    appId: values.app,
    grants: integerIn("--grants", values.grants, 1, 10_000_000),
    analyze: !values["no-analyze"],
  };
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

// Loaded only now, after source-aliases.ts registered its hooks.
const { analyzeDatabase, seedGrants } = await import("./support/seed-grants.js");
const seeded = await seedGrants({
  databaseUrl: options.databaseUrl,
  appId: options.appId,
  grants: options.grants,
  onBatch: (added) => process.stderr.write(`\r${added} of ${options.grants} grants`),
});
process.stderr.write("\n");
const analyzeMs = options.analyze ? await analyzeDatabase(options.databaseUrl) : null;
process.stdout.write(
  `${JSON.stringify({
    grants: seeded.grants,
    seconds: Math.round(seeded.ms) / 1000,
    grantsPerSecond: Math.round(seeded.rowsPerSecond),
    analyzeSeconds: analyzeMs === null ? null : Math.round(analyzeMs) / 1000,
  })}\n`,
);
