/** Where a command writes: results to stdout, progress and errors to stderr. Injected for tests. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A problem with how the command was called (exit code 2), as opposed to a failure (exit code 1). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Prints `value` as JSON when `json`, else the human text. */
export function emit(output: Output, json: boolean, value: unknown, human: string): void {
  output.out(json ? `${JSON.stringify(value, null, 2)}\n` : human.endsWith("\n") ? human : `${human}\n`);
}

export function table(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function isoTime(epochMs: number | null): string {
  return epochMs === null ? "-" : new Date(epochMs).toISOString();
}
