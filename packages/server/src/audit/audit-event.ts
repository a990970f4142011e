/** What happened. Stable names: clients filter on them. */
export type AuditEventType =
  | "session.created"
  | "session.completed"
  | "session.denied"
  | "session.failed"
  | "grant.created"
  | "grant.reauthorized"
  | "grant.revoked"
  | "grant.reauth_required"
  | "grant.expired"
  | "credential.retrieved"
  | "credential.refused"
  | "request.proxied"
  | "api_key.created"
  | "api_key.updated"
  | "api_key.disabled"
  | "api_key.enabled"
  | "api_key.revoked"
  | "app.created"
  | "app.setting_changed"
  | "app.updated"
  | "app.disabled"
  | "app.enabled"
  | "app.deleted"
  | "provider.created"
  | "provider.updated"
  | "provider.enabled"
  | "provider.disabled"
  | "provider.deleted"
  | "identity_provider.set"
  | "identity_provider.deleted"
  | "session.browser_mismatch";

export interface AuditEventInput {
  appId: string;
  type: AuditEventType;
  outcome?: "ok" | "refused" | "error";
  grantId?: string | null;
  providerId?: string | null;
  apiKeyPrefix?: string | null;
  reason?: string | null;
  context?: Record<string, unknown> | null;
  /** Facts of the event (method, host, path, status, latency, refusal code…). Never secrets. */
  details?: Record<string, unknown> | null;
}
