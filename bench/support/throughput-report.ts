import type { ModeFigures, ThroughputReport } from "./throughput-bench.js";

const FIGURES = ["p50", "p90", "p99", "max"] as const;

/** The human-readable report: A and B with their requests/s and latencies, then B/A, the target and any failures. */
export function formatThroughputTable(report: ThroughputReport): string {
  const separate = report.processes === "separate";
  const cpuColumns = separate ? ["cpu bench", "cpu vault", "cpu API"] : ["cpu"];
  const rows: string[][] = [
    ["mode", "requests", "errors", "req/s", ...FIGURES.map((figure) => `${figure} ms`), ...cpuColumns],
  ];
  const cpu = (value: number | null) => (value === null ? "—" : value.toFixed(3));
  const row = (label: string, mode: ModeFigures) => [
    label,
    String(mode.requests),
    String(mode.errors),
    mode.requestsPerSecond.toFixed(0),
    ...FIGURES.map((figure) => mode.latencyMs?.[figure].toFixed(2) ?? "—"),
    cpu(mode.cpuMsPerRequest.bench),
    ...(separate ? [cpu(mode.cpuMsPerRequest.vault), cpu(mode.cpuMsPerRequest.api)] : []),
  ];
  if (report.direct) rows.push(row("A  direct fetch, token", report.direct));
  if (report.proxy) rows.push(row("B  vault.proxyRequest()", report.proxy));
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((cells) => cells[column]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((text, column) =>
        column === 0 ? text.padEnd(widths[column] ?? 0) : text.padStart(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();

  const { machine, pids } = report;
  const placement =
    report.processes === "separate"
      ? `workers in the bench process (pid ${pids.workers}), vault in its own (pid ${pids.vault}), API in its own (pid ${pids.api})`
      : `workers, vault and API all in the bench process (pid ${pids.workers})`;
  const lines = [
    "Proxy throughput: GET /ping on the bench's own API (token compared as a string), requests/s with",
    `${report.concurrency} workers per mode, one request in flight each; ${report.seconds} s per mode in ` +
      `${report.slices} slices (A B B A…), after ${report.warmUpSeconds} s warm-up each; nearest-rank percentiles`,
    `Processes: ${placement}`,
    "cpu: CPU time (user + system) per request of each process, in ms (the bench process also holds the idle connect world)",
    `Vault database: ${report.database ?? "—"}`,
    `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadAverageBefore.join(" ")} before, ` +
      `${machine.loadAverageAfter.join(" ")} after`,
    "",
    ...rows.map(line),
    "",
  ];
  if (report.ratio !== null && report.target) {
    lines.push(
      `B / A = ${(report.ratio * 100).toFixed(1)} % of direct requests/s ` +
        `(target ≥ ${report.target.minRatio * 100} %: ${report.target.met ? "met" : "MISSED"})`,
    );
  }
  for (const [mode, figures] of [
    ["A", report.direct],
    ["B", report.proxy],
  ] as const) {
    for (const message of figures?.errorSamples ?? []) lines.push(`ERROR ${mode}: ${message}`);
  }
  if (report.failure) lines.push(`FAILED: ${report.failure}`);
  for (const problem of report.problems) lines.push(`PROBLEM: ${problem}`);
  return lines.join("\n");
}

/** The report as one JSON line, figures rounded to 0.001. */
export function formatThroughputJson(report: ThroughputReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value,
  );
}
