import type { ApiKeyView } from "@grantvault/protocol";
import { type ApiKeyRecord, keyStatus } from "../storage/api-keys-repository.js";

/** A key as the API shows it at `now`: never the key itself. */
export function apiKeyView(key: ApiKeyRecord, now: number): ApiKeyView {
  return {
    api_key_id: key.id,
    app_id: key.appId,
    name: key.name,
    prefix: key.prefix,
    scopes: [...key.scopes],
    status: keyStatus(key, now),
    created_at: iso(key.createdAt),
    created_by: key.createdBy,
    last_used_at: isoOrNull(key.lastUsedAt),
    expires_at: isoOrNull(key.expiresAt),
    disabled_at: isoOrNull(key.disabledAt),
    revoked_at: isoOrNull(key.revokedAt),
  };
}

/** An `expires_at` of a request as epoch ms (null: never; undefined: not given). */
export function expiryOf(value: string | null | undefined): number | null | undefined {
  return value === undefined || value === null ? value : Date.parse(value);
}

function iso(at: number): string {
  return new Date(at).toISOString();
}

function isoOrNull(at: number | null): string | null {
  return at === null ? null : iso(at);
}
