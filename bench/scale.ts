/**
 * Scale: the credential call, vault.request(), listGrants and connect-session creation with a
 * thousand and with a million grants in the database, on SQLite and PostgreSQL; see bench/README.md.
 */
import "./support/source-aliases.js";
import { parseScaleOptions, SCALE_USAGE } from "./support/scale-options.js";

let options: ReturnType<typeof parseScaleOptions>;
try {
  options = parseScaleOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${SCALE_USAGE}\n`);
  process.exit(2);
}

if (options === "help") {
  process.stdout.write(`${SCALE_USAGE}\n`);
} else {
  // Loaded only now, after source-aliases.ts registered its hooks (static imports resolve before any code runs).
  const { runScaleBench, scaleBenchSucceeded } = await import("./support/scale-bench.js");
  const { formatScaleTable } = await import("./support/scale-report.js");
  const { formatRequestJson } = await import("./support/request-report.js");
  const json = options.json;
  const report = await runScaleBench(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  const jsonLine = formatRequestJson(report);
  process.stdout.write(`${json ? jsonLine : `\n${formatScaleTable(report)}\n\n${jsonLine}`}\n`);
  process.exitCode = scaleBenchSucceeded(report) ? 0 : 1;
}
