/**
 * Left-aligned columns two spaces apart, without trailing blanks: what `grantvault` prints for
 * humans (`connect`, `grants list`, `grants show`). Cells must not contain newlines.
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
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
