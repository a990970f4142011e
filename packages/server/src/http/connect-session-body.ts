import type {
  ConnectFailureCode,
  ConnectResultBody,
  ConnectSessionResponse,
  GrantPolicy,
} from "@grantvault/protocol";
import type { SessionStatus } from "../connect/connect-sessions.js";
import type {
  ConnectResultRecord,
  ConnectSessionRecord,
  GrantPolicyRecord,
} from "../storage/connect-sessions-repository.js";

/** A session as the API shows it. */
export function connectSessionBody(
  session: ConnectSessionRecord,
  status: SessionStatus,
): ConnectSessionResponse {
  return {
    session_id: session.id,
    status,
    expires_at: new Date(session.expiresAt).toISOString(),
    results: status === "completed" ? (session.results ?? []).map(connectResultBody) : null,
    error: session.error
      ? { code: session.error.code as ConnectFailureCode, message: session.error.message }
      : null,
  };
}

export function connectResultBody(result: ConnectResultRecord): ConnectResultBody {
  return {
    grant_id: result.grantId,
    provider_id: result.providerId,
    account_identifier: result.accountIdentifier,
    scopes: result.scopes,
    grant_policy: grantPolicyBody(result.grantPolicy),
  };
}

export function grantPolicyBody(policy: GrantPolicyRecord | null): GrantPolicy | null {
  if (!policy) return null;
  return {
    ...(policy.maxTtlSeconds === undefined ? {} : { max_ttl_seconds: policy.maxTtlSeconds }),
    ...(policy.defaultTtlSeconds === undefined ? {} : { default_ttl_seconds: policy.defaultTtlSeconds }),
  };
}

export function grantPolicyRecord(policy: GrantPolicy | undefined): GrantPolicyRecord | undefined {
  if (!policy) return undefined;
  return {
    ...(policy.max_ttl_seconds === undefined ? {} : { maxTtlSeconds: policy.max_ttl_seconds }),
    ...(policy.default_ttl_seconds === undefined ? {} : { defaultTtlSeconds: policy.default_ttl_seconds }),
  };
}
