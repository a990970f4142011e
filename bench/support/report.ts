import type { BenchReport } from "./run-bench.js";
import type { LatencySummary } from "./stats.js";

const COLUMNS: (keyof LatencySummary)[] = ["n", "p50", "p90", "p99", "mean", "max"];

/** The human-readable report: one row per mode, then the p50 ratio and any failures. */
export function formatTable(report: BenchReport): string {
  const labelWidth = Math.max(...report.modes.map((mode) => mode.label.length), "mode".length) + 2;
  const cell = (text: string) => text.padStart(9);
  const header = `${"mode".padEnd(labelWidth)}${COLUMNS.map((column) => cell(column)).join("")}`;
  const rows = report.modes.map((mode) => {
    const figures = COLUMNS.map((column) => {
      const value = mode.latencyMs?.[column];
      if (value === undefined) return cell("—");
      return cell(column === "n" ? String(value) : value.toFixed(1));
    });
    return `${mode.label.padEnd(labelWidth)}${figures.join("")}`;
  });
  const [longPoll, fixedPoll] = report.modes;
  const lines = [
    "Connect latency: callback response fully received → result in the app, in ms",
    `${report.flows} flows per mode (after ${report.warmUpFlows} warm-up), think time spread over 0–${report.pollIntervalMs} ms; ` +
      `A one flow at a time, B ${fixedPoll.concurrency} at a time; percentiles are nearest-rank`,
    "",
    header,
    ...rows,
    "",
    report.ratioP50 === null
      ? `p50(B) / p50(A): n/a (p50(A) = ${longPoll.latencyMs?.p50.toFixed(1) ?? "—"} ms)`
      : `p50(B) / p50(A) = ${report.ratioP50.toFixed(report.ratioP50 >= 10 ? 0 : 1)}×`,
  ];
  for (const mode of report.modes) {
    for (const failure of mode.failures)
      lines.push(`FAILED ${mode.mode} ${failure.flow}: ${failure.message}`);
  }
  for (const problem of report.problems) lines.push(`PROBLEM: ${problem}`);
  return lines.join("\n");
}

/** The report as one JSON line, latencies rounded to 0.01 ms. */
export function formatJson(report: BenchReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value,
  );
}

/** True when every flow succeeded and every check held. */
export function succeeded(report: BenchReport): boolean {
  return report.problems.length === 0 && report.modes.every((mode) => mode.failures.length === 0);
}
