/**
 * Connect latency: how soon an app learns that the user finished connecting. Many connect flows,
 * driven without a browser, with the app waiting (A) through the SDK's long-poll and (B) by fixed
 * polling; see bench/README.md.
 */
import "./support/source-aliases.js";
import { parseOptions, USAGE } from "./support/options.js";

let options: ReturnType<typeof parseOptions>;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

if (options === "help") {
  process.stdout.write(`${USAGE}\n`);
} else {
  // Loaded only now, after source-aliases.ts registered its hooks (static imports resolve before any code runs).
  const { runBench } = await import("./support/run-bench.js");
  const { formatJson, formatTable, succeeded } = await import("./support/report.js");
  const json = options.json;
  const report = await runBench(options, (line) => {
    if (!json) process.stderr.write(`${line}\n`);
  });
  process.stdout.write(
    `${json ? formatJson(report) : `\n${formatTable(report)}\n\n${formatJson(report)}`}\n`,
  );
  process.exitCode = succeeded(report) ? 0 : 1;
}
