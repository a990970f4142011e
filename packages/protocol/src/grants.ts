import { z } from "zod";
import type { GrantPolicy } from "./connect-sessions.js";

/**
 * A grant's status. `expired` is derived (past `expires_at`); `reauth_required` means the provider
 * no longer honours the tokens (refresh refused): the user must connect again.
 */
export const GRANT_STATUSES = ["active", "expired", "revoked", "reauth_required"] as const;
export type GrantStatus = (typeof GRANT_STATUSES)[number];

export interface GrantBody {
  grant_id: string;
  provider_id: string;
  account_identifier: string;
  scopes: string[];
  status: GrantStatus;
  /** Why the grant is not active (revocation reason, provider error), or null. */
  status_reason: string | null;
  grant_policy: GrantPolicy | null;
  /** ISO 8601 or null. */
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export const GrantIdParams = z
  .object({ id: z.string().regex(/^grant_[0-9a-f]{24}$/, "not a grant id") })
  .strict();

/** `GET /v1/grants`: newest first, `limit` per page, `cursor` from the previous page's `next_cursor`. */
export const ListGrantsQuery = z
  .object({
    provider: z.string().min(1).max(63).optional(),
    status: z.enum(GRANT_STATUSES).optional(),
    account: z.string().min(1).max(320).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export interface ListGrantsResponse {
  grants: GrantBody[];
  next_cursor: string | null;
}

/** `DELETE /v1/grants/<id>`: revoke; the reason is recorded. */
export const RevokeGrantRequest = z
  .object({
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
