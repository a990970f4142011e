import { AuditLog } from "../audit/audit-log.js";
import { systemClock } from "../clock.js";
import type { CommandContext } from "./app-commands.js";
import { emit } from "./output.js";

/**
 * `audit verify [--app ID]`: walks the hash chains and reports every row that was edited, moved
 * or deleted. Exit code 1 when the log was tampered with.
 */
export async function auditVerify({ runtime, output, json, options }: CommandContext): Promise<number> {
  const appId = typeof options.app === "string" ? options.app : undefined;
  const report = await new AuditLog(runtime.store, systemClock).verify(appId);
  emit(
    output,
    json,
    report,
    report.ok
      ? `Audit log intact: ${report.checked} event(s) checked.`
      : [
          `AUDIT LOG TAMPERED: ${report.problems.length} problem(s) in ${report.checked} event(s):`,
          ...report.problems.map(
            (problem) =>
              `  app ${problem.appId}, event ${problem.seq} (${problem.eventId}): ${problem.problem}`,
          ),
        ].join("\n"),
  );
  return report.ok ? 0 : 1;
}
