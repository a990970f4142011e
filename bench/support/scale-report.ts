import { alignedColumns } from "./request-report.js";
import { OPERATIONS, type ScaleBenchReport } from "./scale-bench.js";

/** The human-readable report: per engine, each operation at both sizes, the ratios; then seeding and the target. */
export function formatScaleTable(report: ScaleBenchReport): string {
  const ms = (value: number | undefined) => (value === undefined ? "" : value.toFixed(2));
  const times = (value: number | undefined) => (value === undefined ? "" : `${value.toFixed(2)}×`);
  const small = report.small.toLocaleString("en");
  const large = report.grants.toLocaleString("en");
  const header = [
    "engine",
    "operation",
    `n ${small}`,
    `p50 ${small}`,
    `p99 ${small}`,
    `n ${large}`,
    `p50 ${large}`,
    `p99 ${large}`,
    "p50 ratio",
    "p99 ratio",
  ];
  const rows: string[][] = [header];
  for (const engine of report.engines) {
    const [before, after] = engine.sizes;
    if (!before) continue;
    for (const operation of OPERATIONS) {
      const a = before.latencyMs[operation];
      const b = after?.latencyMs[operation];
      const ratio = engine.ratio[operation];
      rows.push([
        engine.engine,
        operation,
        a ? String(a.n) : "",
        ms(a?.p50),
        ms(a?.p99),
        b ? String(b.n) : "",
        ms(b?.p50),
        ms(b?.p99),
        times(ratio?.p50),
        times(ratio?.p99),
      ]);
    }
  }
  const line = alignedColumns(rows, 0);
  const { machine } = report;
  const lines = [
    `Scale: latency per call with ${small} and with ${large} grants in the app, in ms`,
    `up to ${report.calls} measured calls per operation and size after ${report.warmUp} warm-up ` +
      `(at most ${report.budgetSeconds} s each), one at a time; nearest-rank percentiles; ratio = ${large} / ${small}`,
    `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadAverage.join(" ")} at the start`,
    "",
    ...rows.map(line),
    "",
  ];
  for (const engine of report.engines) {
    if (engine.database) lines.push(`${engine.engine}: ${engine.database}`);
    for (const size of engine.sizes) {
      lines.push(
        `${engine.engine}: seeded ${size.seeded.grants} grants (to ${size.grants}) in ${size.seeded.seconds.toFixed(1)} s, ` +
          `${Math.round(size.seeded.grantsPerSecond)} grants/s (+ a credentials row each); ` +
          (size.analyzeSeconds === null ? "no statistics" : `statistics ${size.analyzeSeconds.toFixed(1)} s`),
      );
    }
    if (engine.target) {
      lines.push(
        `${engine.engine} target: credential p50 at ${large} / at ${small} = ${engine.target.value.toFixed(2)} ≤ ` +
          `${engine.target.limit}: ${engine.target.met ? "met" : "MISSED"}`,
      );
    }
    if (engine.failure) lines.push(`FAILED ${engine.engine}: ${engine.failure}`);
    for (const problem of engine.problems) lines.push(`PROBLEM ${engine.engine}: ${problem}`);
  }
  return lines.join("\n");
}
