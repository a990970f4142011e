/**
 * The error-code registry: every error the vault can answer with, its HTTP status and the
 * public message. Server and SDKs share it, so a code means the same thing on both sides.
 * Codes are API: never rename one; add a new code instead.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, message: "The request is invalid; see issues for details." },
  invalid_json: { status: 400, message: "The request body is not valid JSON." },
  missing_api_key: {
    status: 401,
    message: "An API key is required: send it as `Authorization: Bearer <api key>`.",
  },
  invalid_api_key: { status: 401, message: "The API key is not valid." },
  api_key_revoked: { status: 401, message: "The API key has been revoked." },
  api_key_expired: { status: 401, message: "The API key has expired; ask for a new one." },
  api_key_disabled: {
    status: 401,
    message: "The API key is disabled; an admin of its app can enable it again.",
  },
  unknown_provider: { status: 400, message: "The request names a provider this vault does not have." },
  no_providers_configured: {
    status: 400,
    message: "No provider is configured: add one to the providers file (GRANTVAULT_PROVIDERS_FILE).",
  },
  invalid_cursor: { status: 400, message: "The pagination cursor is not valid; start again without it." },
  not_found: { status: 404, message: "There is no such resource." },
  grant_not_found: { status: 404, message: "There is no such grant." },
  route_not_found: { status: 404, message: "There is no such endpoint." },
  host_not_allowed: {
    status: 403,
    message: "This grant's token may not be sent to that URL: its host is not an API host of the provider.",
  },
  grant_expired: { status: 403, message: "The grant has expired; connect the account again." },
  grant_revoked: { status: 403, message: "The grant was revoked; connect the account again." },
  reauth_required: {
    status: 403,
    message: "The provider no longer accepts this grant's tokens; connect the account again.",
  },
  forbidden_header: {
    status: 400,
    message: "Authorization, Cookie and API-key headers are set by the vault; the caller may not send them.",
  },
  upstream_unreachable: { status: 502, message: "The provider's API could not be reached." },
  upstream_too_large: { status: 502, message: "The provider's response is larger than the vault passes on." },
  payload_too_large: { status: 413, message: "The request body is too large." },
  unsupported_media_type: { status: 415, message: "The request body must be JSON (application/json)." },
  internal_error: { status: 500, message: "The vault failed to handle the request." },
  refresh_unavailable: {
    status: 503,
    message: "The provider could not refresh the token right now; the grant is kept. Try again shortly.",
  },
  audit_unavailable: {
    status: 503,
    message: "The vault could not record this access in its audit log, so it refused it. Try again shortly.",
  },
  not_ready: { status: 503, message: "The vault is not ready: its database is unreachable." },
  origin_not_allowed: {
    status: 400,
    message:
      "That origin is not allowed for this app; the operator allows it with `grantvault-server apps allow-origin`.",
  },
  scope_not_allowed: {
    status: 400,
    message: "required_scopes may only narrow the scopes the operator configured for the provider.",
  },
  identity_not_configured: {
    status: 400,
    message: "This app has no identity provider; the operator configures one in the providers file.",
  },
  invalid_user_token: {
    status: 401,
    message: "The user token is not valid for this app (signature, issuer, audience or expiry).",
  },
  ambiguous_grant: {
    status: 409,
    message: "The user connected several accounts of this provider; pass `account` to pick one.",
  },
  session_not_found: { status: 404, message: "There is no such session." },
  already_exists: {
    status: 409,
    message: "Something with that id exists already; update it, or choose another id.",
  },
  provider_disabled: {
    status: 403,
    message: "The provider is disabled for this app; the operator can enable it again.",
  },
  app_disabled: {
    status: 403,
    message: "The app is disabled; its API keys are refused until the operator enables it.",
  },
  insufficient_scope: {
    status: 403,
    message:
      "This key may not do that: it lacks the scope the action needs (see `grantvault-server api-keys list`).",
  },
  // No longer answered (issue 15): a proxy-only key asking for a token gets insufficient_scope.
  retrieve_not_allowed: {
    status: 403,
    message:
      "This API key is proxy-only: it may not retrieve tokens. Use proxy mode (vault.proxyRequest), where the vault makes the call.",
  },
  last_api_key: {
    status: 409,
    message:
      "That is the app's last active admin key; create another before revoking, disabling or narrowing it.",
  },
  malformed_request: {
    status: 400,
    message:
      "The request line or headers are malformed (for example a space or raw non-ASCII byte in the path).",
  },
  request_timeout: { status: 408, message: "The request took too long to arrive; send it again." },
  uri_too_long: { status: 414, message: "The request URL is too long." },
  headers_too_large: { status: 431, message: "The request headers are too large." },
  identity_unavailable: {
    status: 503,
    message: "The app's identity provider could not be reached; sign-in is unavailable. Try again shortly.",
  },
  database_busy: {
    status: 503,
    message: "The vault's database is busy; no connection became free in time. Try again shortly.",
  },
  user_token_required: {
    status: 403,
    message:
      "This grant belongs to a user: the call must carry that user's token (the SDK's userToken option).",
  },
  method_override_refused: {
    status: 400,
    message: "Method-override headers (X-HTTP-Method-Override and kin) may not be sent through the vault.",
  },
  invalid_forwarded_header: {
    status: 400,
    message: "A header to forward has an invalid name or value.",
  },
  flow_browser_mismatch: {
    status: 400,
    message: "This sign-in or connect flow was started in another browser; start it again here.",
  },
  metrics_token_invalid: {
    status: 401,
    message: "The metrics endpoint needs `Authorization: Bearer <GRANTVAULT_METRICS_TOKEN>`.",
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem found while validating input: where it is and what is wrong. */
export interface ErrorIssue {
  /** Dotted path into the input, e.g. `grant_policy.max_ttl_seconds`; empty for the whole input. */
  path: string;
  message: string;
}

/** The body of every error response. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    issues?: ErrorIssue[];
  };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
