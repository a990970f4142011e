/**
 * Footprint: the built server's cold start (spawn → `/healthz` 200) on an empty data directory
 * against a bare Node HTTP server's, and its resident memory idle and under proxy load against the
 * API's it calls; see bench/README.md. Linux only (reads /proc). Build first (`npm run build`).
 */
import "./support/source-aliases.js";
import { parseArgs } from "node:util";
import { integerIn } from "./support/integer-flag.js";

const USAGE = `Usage: npm run bench:footprint -- [--starts N] [--seconds S] [--concurrency N] [--node-options S] [--json]

  --starts N       cold starts of each kind (default 7)
  --seconds S      seconds of proxy load (default 15)
  --concurrency N  proxy workers (default 16)
  --node-options S NODE_OPTIONS for the vault's process only (e.g. "--max-semi-space-size=2")
  --json           print only one JSON line with the results`;

let options: import("./support/footprint-bench.js").FootprintOptions;
try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      starts: { type: "string", default: "7" },
      seconds: { type: "string", default: "15" },
      concurrency: { type: "string", default: "16" },
      json: { type: "boolean", default: false },
      "node-options": { type: "string", default: "" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  options = {
    starts: integerIn("--starts", values.starts, 1, 100),
    seconds: integerIn("--seconds", values.seconds, 1, 300),
    concurrency: integerIn("--concurrency", values.concurrency, 1, 200),
    json: values.json,
    nodeOptions: values["node-options"],
  };
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

// Loaded only now, after source-aliases.ts registered its hooks.
const { runFootprintBench } = await import("./support/footprint-bench.js");
const report = await runFootprintBench(options, (line) => {
  if (!options.json) process.stderr.write(`${line}\n`);
});
const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(0));
const mb = (value: number | null) => (value === null ? "-" : value.toFixed(1));
if (!options.json) {
  const { coldStart, memory, load } = report;
  const row = (name: string, summary: typeof coldStart.vault) =>
    `| ${name.padEnd(34)} | ${ms(summary?.p50).padStart(5)} | ${ms(summary?.max).padStart(5)} |`;
  process.stdout.write(
    [
      "",
      "| cold start, spawn → /healthz 200 (ms) |   p50 |   max |",
      "| ---------------------------------- | ----: | ----: |",
      row("bare node:http server (baseline)", coldStart.bareNode),
      row("vault, empty data dir", coldStart.vault),
      row("vault, second start", coldStart.vaultAgain),
      `vault / bare node (p50): ${coldStart.ratio?.toFixed(1) ?? "-"}×`,
      "",
      "| resident memory (MB)                 |       |",
      "| ------------------------------------ | ----: |",
      `| vault idle (one provider, one grant) | ${mb(memory.vaultIdle).padStart(5)} |`,
      `| vault peak under proxy load          | ${mb(memory.vaultPeakUnderLoad).padStart(5)} |`,
      `| vault high-water mark (VmHWM)        | ${mb(memory.vaultHighWaterMark).padStart(5)} |`,
      `| vault 2 s after the load             | ${mb(memory.vaultAfterLoad).padStart(5)} |`,
      `| the API it called (bare node:http)   | ${mb(memory.apiAfterLoad).padStart(5)} |`,
      `proxy load: ${load.requests} requests, ${load.errors} errors, ${load.requestsPerSecond.toFixed(0)}/s, p50 ${load.latencyMs?.p50.toFixed(2) ?? "-"} ms`,
      `targets (cold start p50 ≤ ${report.targets.coldStartP50Ms} ms, peak RSS ≤ ${report.targets.rssUnderLoadMb} MB): ${
        report.targets.met === null ? "not measured" : report.targets.met ? "met" : "NOT met"
      }`,
      "",
      "",
    ].join("\n"),
  );
}
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exitCode = report.failure === null && report.load.errors === 0 ? 0 : 1;
