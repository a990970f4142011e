import { z } from "zod";
import type { GrantPolicy } from "./connect-sessions.js";
import { ID_FORMATS } from "./ids.js";

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
  /** The per-connection parameters (`{"tenant": "acme"}`) its provider's URLs use, or null. */
  connection_params: Record<string, string> | null;
  /** ISO 8601 or null. */
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export const GrantIdParams = z
  .object({ id: z.string().regex(ID_FORMATS.grant.pattern, "not a grant id") })
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

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/**
 * `POST /v1/grants/<id>/credential`: the headers to send with one call to `url` (retrieve mode).
 * The vault checks that `url` is an API host of the grant's provider, the grant's status, expiry
 * and policy, refreshes the token if it is near expiry, and records the access.
 */
export const CredentialRequest = z
  .object({
    method: z.enum(HTTP_METHODS),
    url: z.string().min(1).max(8192),
    /** Why the call is made (recorded in the audit log). */
    reason: z.string().max(500).optional(),
    /** Free-form facts about the caller (recorded in the audit log). */
    context: z
      .record(z.string().max(100), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]))
      .refine((value) => Object.keys(value).length <= 32, "at most 32 entries")
      .optional(),
    /** The signed-in user making the call: the grant must be theirs. */
    user_token: z.string().min(1).max(8192).optional(),
  })
  .strict();
export type CredentialRequest = z.infer<typeof CredentialRequest>;

export interface CredentialResponse {
  /**
   * The URL the vault approved, in its canonical (WHATWG) form: the SDK calls exactly this URL, so
   * no URL parser of its own can read another host into it (F9).
   */
  url: string;
  /** Headers to add to the call, e.g. `{ "authorization": "Bearer …" }`. Never log them. */
  headers: Record<string, string>;
  /** When the token stops working (ISO 8601), when known. */
  expires_at: string | null;
  retry_info: RetryInfoBody | null;
}

/**
 * Present when the vault refreshed the token for this call (it was near expiry): how many refresh
 * requests the provider got (transient failures are retried; 0 when a concurrent caller's refresh
 * was used).
 */
export interface RetryInfoBody {
  refresh_attempts: number;
}

/**
 * Proxy mode, `POST /v1/grants/<id>/proxy`: the vault makes the call. The target travels in
 * headers so the body can stream through untouched; headers for the provider are prefixed.
 */
export const PROXY_HEADERS = {
  method: "grantvault-method",
  url: "grantvault-url",
  reason: "grantvault-reason",
  /** JSON object. */
  context: "grantvault-context",
  /** The signed-in user making the call (an ID token): the grant must be theirs. */
  userToken: "grantvault-user-token",
  /** Prefix of each header to forward: `grantvault-forward-accept: application/json`. */
  forwardPrefix: "grantvault-forward-",
  /** On the response: RetryInfoBody as JSON, when the vault refreshed the token for this call. */
  retryInfo: "grantvault-retry-info",
  /** On the response: present when it is the provider's answer (absent on the vault's own errors). */
  proxied: "grantvault-proxied",
} as const;

/** `POST /v1/grants/resolve`: the signed-in user's grant for a provider. */
export const ResolveGrantRequest = z
  .object({
    provider: z.string().min(1).max(63),
    user_token: z.string().min(1).max(8192),
    /** Picks one grant when the user connected several accounts of the provider. */
    account: z.string().min(1).max(320).optional(),
  })
  .strict();
export type ResolveGrantRequest = z.infer<typeof ResolveGrantRequest>;

export interface ResolveGrantResponse {
  grant_id: string;
}
