/**
 * Refresh herd: many concurrent calls on a grant whose access token has expired, across three
 * vault servers on one PostgreSQL database (and one vault on SQLite) — how many refreshes reach
 * the provider, and how many calls fail; see bench/README.md.
 */
import "./support/source-aliases.js";
import { HERD_USAGE, parseHerdOptions } from "./support/herd-options.js";

let options: ReturnType<typeof parseHerdOptions>;
try {
  options = parseHerdOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${HERD_USAGE}\n`);
  process.exit(2);
}

if (options === "help") {
  process.stdout.write(`${HERD_USAGE}\n`);
} else {
  // Loaded only now, after source-aliases.ts registered its hooks (static imports resolve before any code runs).
  const { runHerdBench, herdSucceeded } = await import("./support/herd-bench.js");
  const { formatHerdJson, formatHerdTable } = await import("./support/herd-report.js");
  const json = options.json;
  const report = await runHerdBench(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(
    `${json ? formatHerdJson(report) : `\n${formatHerdTable(report)}\n\n${formatHerdJson(report)}`}\n`,
  );
  process.exitCode = herdSucceeded(report) ? 0 : 1;
}
