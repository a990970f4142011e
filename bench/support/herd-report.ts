import type { HerdEngineReport, HerdReport } from "./herd-bench.js";

/** The human-readable report: one row per engine and herd, then the vaults, the targets and any failures. */
export function formatHerdTable(report: HerdReport): string {
  const ms = (value: number | undefined) => (value === undefined ? "—" : value.toFixed(1));
  const rows: string[][] = [
    [
      "engine",
      "vaults",
      "herd",
      "callers",
      "refreshes",
      "errors",
      "tokens",
      "attempts",
      "wall ms",
      "p50",
      "p90",
      "p99",
      "max",
    ],
  ];
  for (const engine of report.engines) {
    for (const round of engine.rounds) {
      rows.push([
        engine.engine,
        String(engine.vaults.length),
        String(round.round),
        String(round.callers),
        String(round.refreshes),
        String(round.errors),
        `${round.distinctTokens}${round.newToken ? "" : " (old)"}`,
        round.refreshAttempts.join("+"),
        ms(round.wallMs),
        ms(round.latencyMs?.p50),
        ms(round.latencyMs?.p90),
        ms(round.latencyMs?.p99),
        ms(round.latencyMs?.max),
      ]);
    }
  }
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

  const { machine } = report;
  const lines = [
    `Refresh herd: ${report.callers} concurrent POST /v1/grants/<id>/credential on a grant whose access token ` +
      "has expired, spread round-robin over the vaults",
    "refreshes = POST /token at the OAuth provider during the herd (target 1); errors = calls not answered " +
      "200 (target 0); tokens = distinct Authorization headers handed out (target 1, a new one)",
    "attempts = refreshes started, per vault (one per process's single-flight, through the refresh lease); " +
      "past the first, each found the token refreshed once it held the lease",
    "wall = first call sent → last answer; p50…max per call, in ms (nearest-rank)",
    `The provider ${report.refreshTokens === "rotating" ? "rotates refresh tokens (refuses a used one)" : "keeps refresh tokens (reusable)"}`,
    `Node ${machine.node}, ${machine.cpus} CPUs, load average ${machine.loadAverage.join(" ")} at the start`,
    "",
    ...rows.map(line),
    "",
  ];
  for (const engine of report.engines) lines.push(...describeEngine(engine));
  return lines.join("\n");
}

function describeEngine(engine: HerdEngineReport): string[] {
  const lines: string[] = [];
  if (engine.database) lines.push(`${engine.engine}: ${engine.database}`);
  if (engine.vaults.length > 0) {
    const vaults = engine.vaults
      .map((vault) => `${vault.label} ${vault.where} (pid ${vault.pid})`)
      .join(", ");
    const each =
      engine.vaults.length > 1
        ? "; each has its own connection pool (10) and single-flight map, and only the grant's refresh " +
          "lease in PostgreSQL stands between their refreshes (LISTEN/NOTIFY is not used for refreshes)"
        : "";
    lines.push(`${engine.engine}: ${vaults}${each}`);
  }
  for (const round of engine.rounds) {
    const met = round.refreshes === 1 && round.errors === 0 && round.distinctTokens === 1 && round.newToken;
    lines.push(
      `${engine.engine} herd ${round.round}: ${round.refreshes} refresh(es), ${round.errors} error(s), ` +
        `${round.distinctTokens} token(s): ${met ? "met" : "MISSED"}` +
        (round.refreshesAfter > 0 ? `; ${round.refreshesAfter} refresh(es) after the herd` : ""),
    );
    for (const sample of round.errorSamples)
      lines.push(`ERROR ${engine.engine} herd ${round.round}: ${sample}`);
  }
  if (engine.failure) lines.push(`FAILED ${engine.engine}: ${engine.failure}`);
  for (const problem of engine.problems) lines.push(`PROBLEM ${engine.engine}: ${problem}`);
  return lines;
}

/** The report as one JSON line, times rounded to 0.01 ms. */
export function formatHerdJson(report: HerdReport): string {
  return JSON.stringify(report, (_key, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 100) / 100 : value,
  );
}
