/**
 * Left-aligned columns two spaces apart, without trailing blanks: what `grantvault` prints for
 * humans (`connect`, `grants list`, `grants show`). Every cell goes through `printable()`.
 */
export function formatTable(cells: readonly (readonly string[])[]): string {
  const rows = cells.map((row) => row.map(printable));
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

/** C0 and C1 control characters, DEL, and the bidirectional overrides that reorder what is shown. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from providers (account identifiers, status reasons) as it may reach a terminal: control
 * characters stripped (an escape sequence could rewrite the screen or the window title, F20f);
 * line breaks and tabs become spaces, so a cell stays one line.
 */
export function printable(text: string): string {
  return text.replace(/[\t\n\r]+/g, " ").replace(UNPRINTABLE, "");
}
