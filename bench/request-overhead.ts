/**
 * Request overhead: what `vault.request()` adds to a call to a provider's API — one round trip
 * to the vault for the credential — against the same call made directly with the token, on
 * SQLite and on PostgreSQL; see bench/README.md.
 */
import "./support/source-aliases.js";
import { parseRequestOptions, REQUEST_USAGE } from "./support/request-options.js";

let options: ReturnType<typeof parseRequestOptions>;
try {
  options = parseRequestOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${REQUEST_USAGE}\n`);
  process.exit(2);
}

if (options === "help") {
  process.stdout.write(`${REQUEST_USAGE}\n`);
} else {
  // Loaded only now, after source-aliases.ts registered its hooks (static imports resolve before any code runs).
  const { runRequestBench, requestBenchSucceeded } = await import("./support/request-bench.js");
  const { formatRequestJson, formatRequestTable } = await import("./support/request-report.js");
  const json = options.json;
  const report = await runRequestBench(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(
    `${json ? formatRequestJson(report) : `\n${formatRequestTable(report)}\n\n${formatRequestJson(report)}`}\n`,
  );
  process.exitCode = requestBenchSucceeded(report) ? 0 : 1;
}
