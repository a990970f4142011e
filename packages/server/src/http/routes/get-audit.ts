import { type AuditEventBody, ListAuditQuery, type ListAuditResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { AuditLog } from "../../audit/audit-log.js";
import type { AuditRow } from "../../storage/audit-repository.js";
import { callerOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/** `GET /v1/audit?type=&grant_id=&limit=&cursor=`: the app's audit events, newest first. */
export function registerGetAudit(scope: FastifyInstance, audit: AuditLog): void {
  scope.get("/audit", async (request): Promise<ListAuditResponse> => {
    const caller = callerOf(request);
    const query = validate(ListAuditQuery, request.query);
    const rows = await audit.list(
      caller.appId,
      {
        type: query.type,
        grantId: query.grant_id,
        beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
      },
      query.limit + 1,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      events: page.map(auditEventBody),
      next_cursor: rows.length > query.limit && last ? String(last.seq) : null,
    };
  });
}

function auditEventBody(row: AuditRow): AuditEventBody {
  return {
    event_id: row.id,
    seq: row.seq,
    type: row.type,
    outcome: row.outcome as AuditEventBody["outcome"],
    created_at: new Date(row.created_at).toISOString(),
    grant_id: row.grant_id,
    provider_id: row.provider_id,
    api_key_prefix: row.api_key_prefix,
    reason: row.reason,
    context: row.context ? (JSON.parse(row.context) as Record<string, unknown>) : null,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
