import { appendFile, readFile } from "node:fs/promises";
import { AuditLog } from "../audit/audit-log.js";
import { systemClock } from "../clock.js";
import type { CheckpointRow } from "../storage/audit-checkpoints-repository.js";
import { appOption, type CommandContext } from "./app-commands.js";
import { emit, UsageError } from "./output.js";

/**
 * `audit verify [--app ID] [--checkpoints FILE]`: walks the chains and reports every row that was
 * edited, moved, deleted or rewritten without the audit key, and (against the stored checkpoints
 * and those exported to FILE) every chain cut short or deleted whole (F8). Exit code 1 when the
 * log was tampered with.
 */
export async function auditVerify({ runtime, output, json, options }: CommandContext): Promise<number> {
  const appId = await appOption(runtime, options);
  const file = typeof options.checkpoints === "string" ? options.checkpoints : undefined;
  const exported = file === undefined ? [] : await readCheckpointFile(file);
  const report = await new AuditLog(runtime.store, systemClock, runtime.keys).verify(appId, exported);
  const counts = `${report.checked} event(s) checked (${report.legacy} legacy, without MAC), ${report.checkpoints} checkpoint(s) compared`;
  emit(
    output,
    json,
    report,
    report.ok
      ? `Audit log intact: ${counts}.`
      : [
          `AUDIT LOG TAMPERED: ${report.problems.length} problem(s); ${counts}:`,
          ...report.problems.map(
            (problem) =>
              `  app ${problem.appId}${problem.seq === null ? "" : `, event ${problem.seq}`}${problem.eventId === null ? "" : ` (${problem.eventId})`}: ${problem.problem}`,
          ),
        ].join("\n"),
  );
  return report.ok ? 0 : 1;
}

/**
 * `audit checkpoints [--app ID] [--out FILE] [--adopt-legacy]`: signs every chain's tip, records it in the database
 * and prints it as JSON lines (or appends them to FILE). Keep them where whoever can write the
 * database cannot (append-only storage, another host) and pass them to `audit verify --checkpoints`.
 * A chain that does not verify (against FILE's earlier checkpoints too) is not signed: exit 1.
 * `--adopt-legacy`, once after upgrading: chains ending in rows from before keyed links are signed.
 */
export async function auditCheckpoints({ runtime, output, json, options }: CommandContext): Promise<number> {
  const appId = await appOption(runtime, options);
  const file = typeof options.out === "string" ? options.out : undefined;
  const earlier = file === undefined ? [] : await readCheckpointFile(file, { missingIsEmpty: true });
  const { taken, refused } = await new AuditLog(runtime.store, systemClock, runtime.keys).checkpoint(
    appId,
    earlier,
    { adoptLegacy: options["adopt-legacy"] === true },
  );
  const lines = taken.map((checkpoint) => `${JSON.stringify(checkpoint)}\n`).join("");
  if (file !== undefined) await appendFile(file, lines, { mode: 0o600 });
  if (json) {
    emit(output, true, { checkpoints: taken, appended_to: file ?? null, refused }, "");
  } else {
    if (file !== undefined) output.out(`Appended ${taken.length} checkpoint(s) to ${file}.\n`);
    else output.out(lines);
    for (const problem of refused) {
      output.err(
        `not signed: app ${problem.appId}${problem.seq === null ? "" : `, event ${problem.seq}`}: ${problem.problem}\n`,
      );
    }
  }
  return refused.length > 0 ? 1 : 0;
}

/** The checkpoints of an exported file (JSON lines); a line that is not one is a usage error. */
async function readCheckpointFile(
  path: string,
  options = { missingIsEmpty: false },
): Promise<CheckpointRow[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (options.missingIsEmpty && (error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new UsageError(`cannot read checkpoints file ${path}: ${(error as NodeJS.ErrnoException).code}`);
  }
  return text
    .split("\n")
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, number }) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = null;
      }
      if (!isCheckpoint(value)) throw new UsageError(`${path}:${number} is not an audit checkpoint`);
      return value;
    });
}

function isCheckpoint(value: unknown): value is CheckpointRow {
  const row = value as Record<string, unknown> | null;
  return (
    typeof row === "object" &&
    row !== null &&
    typeof row.app_id === "string" &&
    Number.isSafeInteger(row.seq) &&
    typeof row.hash === "string" &&
    Number.isSafeInteger(row.created_at) &&
    typeof row.mac_key_id === "string" &&
    typeof row.mac === "string"
  );
}
