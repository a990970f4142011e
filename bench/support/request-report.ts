import type { RequestBenchReport } from "./request-bench.js";
import type { LatencySummary } from "./stats.js";

const FIGURES = ["p50", "p90", "p99", "mean", "max"] as const;

/** The human-readable report: per engine, A, B, their difference and ratio; then targets and failures. */
export function formatRequestTable(report: RequestBenchReport): string {
  const ms = (value: number | undefined) => (value === undefined ? "" : value.toFixed(2));
  const times = (value: number | undefined) => (value === undefined ? "" : `${value.toFixed(1)}×`);
  const summaryRow = (engine: string, label: string, summary: LatencySummary) => [
    engine,
    label,
    String(summary.n),
    ...FIGURES.map((figure) => ms(summary[figure])),
  ];

  const rows: string[][] = [["engine", "path", "n", ...FIGURES, "cpu/call"]];
  for (const { engine, direct, viaVault, added, ratio, cpuMsPerCall: cpu } of report.engines) {
    // An engine that failed before its measured calls has no figures, only its FAILED line below.
    if (!direct || !viaVault || !added || !ratio) continue;
    const directLabel = report.direct === "fetch" ? "A  direct fetch, token" : "A  direct Node http, token";
    rows.push([...summaryRow(engine, directLabel, direct), ms(cpu?.direct)]);
    rows.push([...summaryRow(engine, "B  vault.request()", viaVault), ms(cpu?.viaVault)]);
    rows.push([engine, "added  B − A", "", ...FIGURES.map((figure) => ms(added[figure])), ms(cpu?.added)]);
    rows.push([engine, "ratio  B / A", "", times(ratio.p50), times(ratio.p90), times(ratio.p99)]);
  }
  const line = alignedColumns(rows, 2);

  const api =
    report.api === "ping"
      ? "the bench's own API (GET /ping, token compared as a string)"
      : "the harness's resource API (GET /user, token introspected at the OAuth provider on every call)";
  const { machine } = report;
  const lines = [
    `vault.request() overhead: time per GET to ${api}, in ms`,
    `${report.calls} measured calls per path after ${report.warmUp} warm-up, A and B interleaved, one at a ` +
      "time; nearest-rank percentiles; added = B − A per figure",
    report.processes === "separate"
      ? "processes: the measured vault and the API each in their own, the client in the bench's; " +
        "cpu/call: the client's, plus for B the vault process's (shown below)"
      : "processes: client, vault and API all in the bench's; cpu/call: that process's per call",
    `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadAverage.join(" ")} at the start`,
    "",
    ...rows.map(line),
    "",
  ];
  for (const engine of report.engines) {
    if (engine.database) lines.push(`${engine.engine}: ${engine.database}`);
    const vaultCpu = engine.cpuMsPerCall?.vault;
    if (vaultCpu !== undefined && vaultCpu !== null) {
      lines.push(`${engine.engine}: the vault process's CPU time per B call ${vaultCpu.toFixed(2)} ms`);
    }
    const targets = engine.targets.map(
      (target) =>
        `${target.figure} ${target.valueMs.toFixed(2)} ms ≤ ${target.limitMs} ms: ${target.met ? "met" : "MISSED"}`,
    );
    if (targets.length > 0) lines.push(`${engine.engine} targets: ${targets.join("; ")}`);
    if (engine.failure) lines.push(`FAILED ${engine.engine}: ${engine.failure}`);
    for (const problem of engine.problems) lines.push(`PROBLEM ${engine.engine}: ${problem}`);
  }
  return lines.join("\n");
}

/** The report as one JSON line, latencies rounded to 0.001 ms (also the scale bench's report). */
export function formatRequestJson(report: object): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value,
  );
}

/**
 * A formatter for rows of a plain-text table: the first two columns (text) left-aligned, the
 * others (figures) right-aligned, each `figurePadding` wider than its widest cell.
 */
export function alignedColumns(rows: string[][], figurePadding: number): (row: string[]) => string {
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  return (row) =>
    row
      .map((text, column) =>
        column < 2 ? text.padEnd(widths[column] ?? 0) : text.padStart((widths[column] ?? 0) + figurePadding),
      )
      .join("  ")
      .trimEnd();
}
