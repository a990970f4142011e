import type { GrantBody } from "@grantvault/protocol";
import type { GrantStatus } from "../grants/grant-service.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import { grantPolicyBody } from "./connect-session-body.js";

const iso = (epochMs: number | null) => (epochMs === null ? null : new Date(epochMs).toISOString());

/** A grant as the API shows it: never its tokens. */
export function grantBody(grant: GrantRecord, status: GrantStatus): GrantBody {
  return {
    grant_id: grant.id,
    provider_id: grant.providerId,
    account_identifier: grant.accountIdentifier,
    scopes: grant.scopes,
    status,
    status_reason: grant.statusReason,
    grant_policy: grantPolicyBody(grant.grantPolicy),
    connection_params: grant.connectionParams ?? null,
    expires_at: iso(grant.expiresAt),
    last_used_at: iso(grant.lastUsedAt),
    created_at: new Date(grant.createdAt).toISOString(),
    updated_at: new Date(grant.updatedAt).toISOString(),
  };
}
