import { z } from "zod";
import type { AuditEventBody, ListAuditResponse } from "./audit.js";
import {
  CONNECT_SESSION_STATUSES,
  type ConnectResultBody,
  type ConnectSessionResponse,
  type CreateConnectSessionResponse,
} from "./connect-sessions.js";
import { ERROR_CODES, type ErrorBody } from "./errors.js";
import {
  type CredentialResponse,
  GRANT_STATUSES,
  type GrantBody,
  type ListGrantsResponse,
  type ResolveGrantResponse,
} from "./grants.js";
import type { AuthSessionResponse, CreateAuthSessionResponse, VerifyUserTokenResponse } from "./identity.js";

/**
 * Schemas of the response bodies that are TypeScript interfaces elsewhere in this package, for the
 * OpenAPI document (openapi.ts). The `Same<>` checks below fail the build when an interface and its
 * schema drift apart, so the interfaces stay the source and these only describe them.
 */

const isoTime = z.string().describe("ISO 8601 time");
const nullableIsoTime = isoTime.nullable();

// Output shape of GrantPolicy, without its refinements (only the wire shape matters here).
const GrantPolicyBody = z
  .object({ max_ttl_seconds: z.number().int().optional(), default_ttl_seconds: z.number().int().optional() })
  .strict();

export const ErrorBodySchema = z
  .object({
    error: z
      .object({
        code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
        message: z.string(),
        issues: z.array(z.object({ path: z.string(), message: z.string() }).strict()).optional(),
      })
      .strict(),
  })
  .strict();

export const GrantBodySchema = z
  .object({
    grant_id: z.string(),
    provider_id: z.string(),
    account_identifier: z.string(),
    scopes: z.array(z.string()),
    status: z.enum(GRANT_STATUSES),
    status_reason: z.string().nullable(),
    grant_policy: GrantPolicyBody.nullable(),
    connection_params: z.record(z.string(), z.string()).nullable(),
    expires_at: nullableIsoTime,
    last_used_at: nullableIsoTime,
    created_at: isoTime,
    updated_at: isoTime,
  })
  .strict();

export const ListGrantsResponseSchema = z
  .object({ grants: z.array(GrantBodySchema), next_cursor: z.string().nullable() })
  .strict();

export const ResolveGrantResponseSchema = z.object({ grant_id: z.string() }).strict();

export const CredentialResponseSchema = z
  .object({
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    expires_at: nullableIsoTime,
    retry_info: z.object({ refresh_attempts: z.number().int() }).strict().nullable(),
  })
  .strict();

export const CreateConnectSessionResponseSchema = z
  .object({
    session_id: z.string(),
    session_token: z.string(),
    connect_url: z.string(),
    confirmation_code: z.string(),
    expires_at: isoTime,
  })
  .strict();

const ConnectResultBodySchema = z
  .object({
    grant_id: z.string(),
    provider_id: z.string(),
    account_identifier: z.string(),
    scopes: z.array(z.string()),
    grant_policy: GrantPolicyBody.nullable(),
  })
  .strict();

export const ConnectSessionResponseSchema = z
  .object({
    session_id: z.string(),
    status: z.enum(CONNECT_SESSION_STATUSES),
    expires_at: isoTime,
    results: z.array(ConnectResultBodySchema).nullable(),
    error: z
      .object({
        code: z.enum(["access_denied", "provider_config", "provider_error", "invalid_callback"]),
        message: z.string(),
      })
      .strict()
      .nullable(),
  })
  .strict();

export const CreateAuthSessionResponseSchema = z
  .object({
    session_id: z.string(),
    session_token: z.string(),
    sign_in_url: z.string(),
    confirmation_code: z.string(),
    expires_at: isoTime,
  })
  .strict();

export const AuthSessionResponseSchema = z
  .object({
    session_id: z.string(),
    status: z.enum(CONNECT_SESSION_STATUSES),
    expires_at: isoTime,
    user_token: z.string().nullable(),
    user_info: z.record(z.string(), z.unknown()).nullable(),
    error: z.object({ code: z.string(), message: z.string() }).strict().nullable(),
  })
  .strict();

export const VerifyUserTokenResponseSchema = z.object({ subject: z.string().nullable() }).strict();

const AuditEventBodySchema = z
  .object({
    event_id: z.string(),
    seq: z.number().int(),
    type: z.string(),
    outcome: z.enum(["ok", "refused", "error"]),
    created_at: isoTime,
    grant_id: z.string().nullable(),
    provider_id: z.string().nullable(),
    api_key_prefix: z.string().nullable(),
    reason: z.string().nullable(),
    context: z.record(z.string(), z.unknown()).nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .strict();

export const ListAuditResponseSchema = z
  .object({ events: z.array(AuditEventBodySchema), next_cursor: z.string().nullable() })
  .strict();

// Compile-time checks: each schema's output is exactly its interface.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
function assertSame<_T extends true>(): void {}
// zod's optional adds `| undefined` (exactOptionalPropertyTypes): every ErrorBody fits the schema.
assertSame<ErrorBody extends z.output<typeof ErrorBodySchema> ? true : false>();
assertSame<Same<z.output<typeof GrantBodySchema>, GrantBody>>();
assertSame<Same<z.output<typeof ListGrantsResponseSchema>, ListGrantsResponse>>();
assertSame<Same<z.output<typeof ResolveGrantResponseSchema>, ResolveGrantResponse>>();
assertSame<Same<z.output<typeof CredentialResponseSchema>, CredentialResponse>>();
assertSame<Same<z.output<typeof CreateConnectSessionResponseSchema>, CreateConnectSessionResponse>>();
assertSame<Same<z.output<typeof ConnectResultBodySchema>, ConnectResultBody>>();
assertSame<Same<z.output<typeof ConnectSessionResponseSchema>, ConnectSessionResponse>>();
assertSame<Same<z.output<typeof CreateAuthSessionResponseSchema>, CreateAuthSessionResponse>>();
assertSame<Same<z.output<typeof AuthSessionResponseSchema>, AuthSessionResponse>>();
assertSame<Same<z.output<typeof VerifyUserTokenResponseSchema>, VerifyUserTokenResponse>>();
assertSame<Same<z.output<typeof AuditEventBodySchema>, AuditEventBody>>();
assertSame<Same<z.output<typeof ListAuditResponseSchema>, ListAuditResponse>>();
