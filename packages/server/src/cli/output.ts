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

/**
 * Characters that steer a terminal instead of printing: C0 and C1 controls (ESC starts escape
 * sequences, CR overwrites a line, U+009B is a one-character CSI) and the bidirectional overrides
 * that reorder what is shown. Names, account identifiers and reasons can come from API callers and
 * providers, so the CLI never prints them raw (F20f).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every terminal control shown as U+FFFD; `keepNewlines` for multi-line human text. */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(TERMINAL_CONTROLS, (char) => (keepNewlines && char === "\n" ? char : "\ufffd"));
}

/** JSON with the controls JSON.stringify leaves raw (C1, bidi) escaped: same value, safe to print. */
function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Prints `value` as JSON when `json`, else the human text (terminal controls replaced). */
export function emit(output: Output, json: boolean, value: unknown, human: string): void {
  const text = printable(human, true);
  output.out(json ? `${safeJson(value)}\n` : text.endsWith("\n") ? text : `${text}\n`);
}

export function table(input: string[][]): string {
  // One line per row, whatever a cell holds.
  const rows = input.map((row) => row.map((cell) => printable(cell)));
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
