import { z } from "zod";
import { ID_FORMATS } from "./ids.js";

/** One audit event. `hash` chains it to the app's previous event (`prev_hash`). */
export interface AuditEventBody {
  event_id: string;
  seq: number;
  type: string;
  outcome: "ok" | "refused" | "error";
  created_at: string;
  grant_id: string | null;
  provider_id: string | null;
  api_key_prefix: string | null;
  reason: string | null;
  context: Record<string, unknown> | null;
  details: Record<string, unknown> | null;
  prev_hash: string;
  hash: string;
}

/** `GET /v1/audit`: newest first; `cursor` is the previous page's `next_cursor`. */
export const ListAuditQuery = z
  .object({
    type: z.string().min(1).max(64).optional(),
    grant_id: z.string().regex(ID_FORMATS.grant.pattern, "not a grant id").optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, "not a cursor")
      .optional(),
  })
  .strict();

export interface ListAuditResponse {
  events: AuditEventBody[];
  next_cursor: string | null;
}
