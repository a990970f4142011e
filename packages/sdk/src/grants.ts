import { type GrantBody, type GrantStatus, idProblem, type ListGrantsResponse } from "@grantvault/protocol";
import type { GrantPolicy } from "./connect.js";
import { VaultValueError } from "./errors.js";
import type { VaultHttp } from "./http.js";

/** A grant as the vault describes it. Its tokens never leave the vault. */
export interface Grant {
  grantId: string;
  providerId: string;
  accountIdentifier: string;
  scopes: string[];
  status: GrantStatus;
  statusReason: string | null;
  grantPolicy: GrantPolicy | null;
  /** The per-connection parameters (`{ tenant: "acme" }`) its provider's URLs use, or null. */
  connectionParams: Record<string, string> | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ListGrantsOptions {
  providerId?: string;
  status?: GrantStatus;
  accountIdentifier?: string;
  /** Page size, 1–100 (default 50). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface GrantPage {
  grants: Grant[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export async function listGrants(http: VaultHttp, options: ListGrantsOptions = {}): Promise<GrantPage> {
  const query = new URLSearchParams();
  if (options.providerId !== undefined) query.set("provider", options.providerId);
  if (options.status !== undefined) query.set("status", options.status);
  if (options.accountIdentifier !== undefined) query.set("account", options.accountIdentifier);
  if (options.limit !== undefined) query.set("limit", String(options.limit));
  if (options.cursor !== undefined) query.set("cursor", options.cursor);
  const suffix = query.size > 0 ? `?${query}` : "";
  const page = await http.call<ListGrantsResponse>("GET", `/v1/grants${suffix}`);
  return { grants: page.grants.map(toGrant), nextCursor: page.next_cursor };
}

export async function getGrant(http: VaultHttp, grantId: string): Promise<Grant> {
  return toGrant(await http.call<GrantBody>("GET", `/v1/grants/${checkedId(grantId)}`));
}

export async function revokeGrant(http: VaultHttp, grantId: string, reason?: string): Promise<Grant> {
  const body = reason === undefined ? undefined : { reason };
  return toGrant(await http.call<GrantBody>("DELETE", `/v1/grants/${checkedId(grantId)}`, { body }));
}

function checkedId(grantId: string): string {
  const problem = idProblem("grant", grantId);
  if (problem !== null) throw new VaultValueError("invalid_argument", problem);
  return grantId;
}

function toGrant(body: GrantBody): Grant {
  const date = (value: string | null) => (value === null ? null : new Date(value));
  return {
    grantId: body.grant_id,
    providerId: body.provider_id,
    accountIdentifier: body.account_identifier,
    scopes: body.scopes,
    status: body.status,
    statusReason: body.status_reason,
    grantPolicy: body.grant_policy
      ? {
          ...(body.grant_policy.max_ttl_seconds === undefined
            ? {}
            : { maxTtlSeconds: body.grant_policy.max_ttl_seconds }),
          ...(body.grant_policy.default_ttl_seconds === undefined
            ? {}
            : { defaultTtlSeconds: body.grant_policy.default_ttl_seconds }),
        }
      : null,
    connectionParams: body.connection_params ?? null,
    expiresAt: date(body.expires_at),
    lastUsedAt: date(body.last_used_at),
    createdAt: new Date(body.created_at),
    updatedAt: new Date(body.updated_at),
  };
}
