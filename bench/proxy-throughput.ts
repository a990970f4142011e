/**
 * Proxy throughput: requests/s through `vault.proxyRequest()` (the vault makes the call) against
 * the same call made directly with the token, at the same concurrency; see bench/README.md.
 */
import "./support/source-aliases.js";
import { parseThroughputOptions, THROUGHPUT_USAGE } from "./support/throughput-options.js";

let options: ReturnType<typeof parseThroughputOptions>;
try {
  options = parseThroughputOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${THROUGHPUT_USAGE}\n`);
  process.exit(2);
}

if (options === "help") {
  process.stdout.write(`${THROUGHPUT_USAGE}\n`);
} else {
  // Loaded only now, after source-aliases.ts registered its hooks (static imports resolve before any code runs).
  const { runThroughputBench, throughputSucceeded } = await import("./support/throughput-bench.js");
  const { formatThroughputJson, formatThroughputTable } = await import("./support/throughput-report.js");
  const json = options.json;
  const report = await runThroughputBench(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(
    `${json ? formatThroughputJson(report) : `\n${formatThroughputTable(report)}\n\n${formatThroughputJson(report)}`}\n`,
  );
  process.exitCode = throughputSucceeded(report) ? 0 : 1;
}
