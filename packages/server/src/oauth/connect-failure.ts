/**
 * Why a connect flow ended without a grant. `code` is stable and reaches the SDK (which maps it to
 * ConnectDeniedError / ConnectConfigError / ConnectFlowError); `message` is shown to the user and
 * the developer; `detail` is for the server log only (it may quote the provider).
 */
export type ConnectFailureCode =
  /** The user said no, at the provider or on the Connect page. */
  | "access_denied"
  /** The provider rejected our client or request: wrong client id/secret, redirect URI, scopes. */
  | "provider_config"
  /** The provider failed or answered something unusable. */
  | "provider_error"
  /** The callback did not come from the provider for this flow (state, issuer or provider mismatch). */
  | "invalid_callback";

export class ConnectFailure extends Error {
  /**
   * The provider could not be reached (network error, timeout, 5xx), as opposed to answering no:
   * an identity provider that is down makes sign-in unavailable (503), not misconfigured.
   */
  readonly unreachable: boolean;

  constructor(
    readonly code: ConnectFailureCode,
    message: string,
    readonly detail?: string,
    options: { unreachable?: boolean } = {},
  ) {
    super(message);
    this.name = "ConnectFailure";
    this.unreachable = options.unreachable ?? false;
  }

  /** A denial ends the session as `denied`; everything else as `failed`. */
  get sessionStatus(): "denied" | "failed" {
    return this.code === "access_denied" ? "denied" : "failed";
  }
}
