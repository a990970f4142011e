import type { ConnectFailureCode, ErrorBody, ErrorCode, ErrorIssue } from "@grantvault/protocol";

/** Codes the SDK raises itself, without an answer from the vault. */
export type SdkErrorCode = "network_error" | "invalid_argument" | "unexpected_response" | "connect_timeout";

const BRAND = Symbol.for("grantvault.VaultError");

/**
 * Base of every error the SDK throws. Branch on `code` (stable, from the vault's error registry)
 * or on the class, never on the message. `isVaultError()` works even when two copies of the SDK
 * are bundled, where `instanceof` would not.
 */
export class VaultError extends Error {
  readonly [BRAND] = true;
  /** A registry code such as `invalid_api_key`, or an SDK-side one (`network_error`, `invalid_argument`). */
  readonly code: ErrorCode | ConnectFailureCode | SdkErrorCode;
  /** HTTP status of the vault's answer, when there was one. */
  readonly status: number | undefined;
  readonly issues: ErrorIssue[] | undefined;

  constructor(
    code: VaultError["code"],
    message: string,
    options: { status?: number; issues?: ErrorIssue[]; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status;
    this.issues = options.issues;
  }

  toJSON(): { name: string; code: string; message: string; status?: number; issues?: ErrorIssue[] } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.issues === undefined ? {} : { issues: this.issues }),
    };
  }
}

/** The API key is missing, wrong, revoked, expired or disabled, or its app is disabled. */
export class AuthenticationError extends VaultError {}

/** The caller passed something invalid; raised before any network call. */
export class VaultValueError extends VaultError {}

/** No such grant for this app (another app's grant is "not found" too). */
export class GrantNotFoundError extends VaultError {}

/** The user must connect the account again. Base of the three cases below. */
export class ReAuthRequiredError extends VaultError {}

/** The grant is past its expiry (grant policy). */
export class GrantExpiredError extends ReAuthRequiredError {}

/** The grant was revoked. */
export class GrantRevokedError extends ReAuthRequiredError {}

/** The provider no longer accepts the grant's tokens (refresh refused, access withdrawn). */
export class CredentialRevokedError extends ReAuthRequiredError {}

/** The URL is not an API host of the grant's provider: no token was handed out. */
export class HostNotAllowedError extends VaultError {}

/** The provider could not refresh the token just now; the grant is fine. Safe to retry. */
export class TokenRefreshUnavailableError extends VaultError {}

/** The vault could not be reached (connection refused, DNS, timeout). Safe to retry. */
export class NetworkError extends VaultError {}

export function isVaultError(value: unknown): value is VaultError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** The user connected several accounts of the provider; `issues` lists them (pass `account`). */
export class AmbiguousGrantError extends VaultError {
  /** The account identifiers to pick from. */
  get candidates(): string[] {
    return (this.issues ?? []).map((issue) => issue.message);
  }
}

/** The user token is not valid for this app (signature, issuer, audience or expiry). */
export class InvalidUserTokenError extends VaultError {}

/**
 * The request asks for more than the operator allows: an origin, a scope, an action the API key
 * has no scope for, or a token for a proxy-only key.
 */
export class PolicyViolationError extends VaultError {}

/**
 * The API key lacks the scope the call needs (`insufficient_scope`): e.g. a `proxy` key asking
 * for a token (retrieve mode needs `use`), or a `read` key creating a connect session. The
 * message names the scope; an admin of the app can grant it (`PATCH /v1/api-keys/<id>`).
 */
export class InsufficientScopeError extends PolicyViolationError {}

/**
 * Proxy mode: the vault could not get an answer from the provider's API (unreachable, or an answer
 * larger than the vault passes on). The provider's own errors (4xx, 5xx) are responses, not this.
 */
export class ProviderAPIError extends VaultError {}

/** Rebuilds the vault's error response as the matching SDK error class. */
export function errorFromResponse(status: number, body: unknown): VaultError {
  const error = (body as Partial<ErrorBody> | null)?.error;
  if (!error || typeof error.code !== "string") {
    return new VaultError("unexpected_response", `the vault answered ${status} without an error body`, {
      status,
    });
  }
  const options = { status, ...(error.issues ? { issues: error.issues } : {}) };
  switch (error.code) {
    case "missing_api_key":
    case "invalid_api_key":
    case "api_key_revoked":
    case "api_key_expired":
    case "api_key_disabled":
    case "app_disabled":
      return new AuthenticationError(error.code, error.message, options);
    case "grant_not_found":
      return new GrantNotFoundError(error.code, error.message, options);
    case "grant_expired":
      return new GrantExpiredError(error.code, error.message, options);
    case "grant_revoked":
      return new GrantRevokedError(error.code, error.message, options);
    case "reauth_required":
      return new CredentialRevokedError(error.code, error.message, options);
    case "host_not_allowed":
      return new HostNotAllowedError(error.code, error.message, options);
    case "refresh_unavailable":
      return new TokenRefreshUnavailableError(error.code, error.message, options);
    case "ambiguous_grant":
      return new AmbiguousGrantError(error.code, error.message, options);
    case "invalid_user_token":
      return new InvalidUserTokenError(error.code, error.message, options);
    case "insufficient_scope":
      return new InsufficientScopeError(error.code, error.message, options);
    case "origin_not_allowed":
    case "provider_disabled":
    case "scope_not_allowed":
    case "retrieve_not_allowed":
    case "user_token_required":
    case "method_override_refused":
    case "invalid_forwarded_header":
      return new PolicyViolationError(error.code, error.message, options);
    case "upstream_unreachable":
    case "upstream_too_large":
      return new ProviderAPIError(error.code, error.message, options);
    default:
      return new VaultError(error.code, error.message, options);
  }
}

/** `connect()` ended without a grant. Base of the three specific cases below. */
export class ConnectFlowError extends VaultError {}

/** The user declined, at the provider or by cancelling on the Connect page. */
export class ConnectDeniedError extends ConnectFlowError {}

/** The provider rejected the vault's OAuth client (wrong id/secret, redirect URI, scopes). Operator action needed. */
export class ConnectConfigError extends ConnectFlowError {}

/** The user did not finish before the timeout (or the session expired). */
export class ConnectTimeoutError extends ConnectFlowError {}
