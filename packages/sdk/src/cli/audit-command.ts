import type { AuditEvent, ListAuditEventsOptions } from "../audit.js";
import { openVault } from "./grants-command.js";
import { commonFailure, printFailure, printJson } from "./output.js";
import { formatTable } from "./table.js";

export interface AuditCommandOptions {
  json: boolean;
  url: string | undefined;
  grantId: string | undefined;
  type: string | undefined;
  limit: number | undefined;
}

/** `grantvault audit`: the app's audit log, newest first (one page; `--limit` up to 200). */
export async function auditCommand(options: AuditCommandOptions): Promise<number> {
  const query: ListAuditEventsOptions = {
    ...(options.grantId === undefined ? {} : { grantId: options.grantId }),
    ...(options.type === undefined ? {} : { type: options.type }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  };
  let events: AuditEvent[];
  let more: boolean;
  try {
    const page = await openVault(options.url).listAuditEvents(query);
    events = page.events;
    more = page.nextCursor !== null;
  } catch (error) {
    return printFailure(commonFailure(error), options.json);
  }
  if (options.json) {
    printJson(
      events.map((event) => ({
        event_id: event.eventId,
        seq: event.seq,
        type: event.type,
        outcome: event.outcome,
        created_at: event.createdAt.toISOString(),
        grant_id: event.grantId,
        provider_id: event.providerId,
        api_key_prefix: event.apiKeyPrefix,
        reason: event.reason,
        context: event.context,
        details: event.details,
      })),
    );
    return 0;
  }
  if (events.length === 0) {
    process.stderr.write("No audit events match.\n");
    return 0;
  }
  process.stdout.write(
    `${formatTable([
      ["#", "TIME", "EVENT", "OUTCOME", "GRANT", "KEY", "DETAILS"],
      ...events.map((event) => [
        String(event.seq),
        event.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
        event.type,
        event.outcome,
        event.grantId ?? "-",
        event.apiKeyPrefix ?? "-",
        summary(event),
      ]),
    ])}\n`,
  );
  if (more)
    process.stderr.write("More events exist: raise --limit (up to 200) or filter with --grant / --type.\n");
  return 0;
}

function summary(event: AuditEvent): string {
  const details = event.details ?? {};
  const parts = [
    typeof details.method === "string" ? details.method : "",
    typeof details.host === "string"
      ? `${details.host}${typeof details.path === "string" ? details.path : ""}`
      : "",
    typeof details.status === "number" ? `→ ${details.status}` : "",
    typeof details.code === "string" ? `(${details.code})` : "",
    event.reason ? `“${event.reason}”` : "",
  ];
  return parts.filter(Boolean).join(" ");
}
