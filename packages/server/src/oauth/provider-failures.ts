import * as oauth from "oauth4webapi";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import { ConnectFailure } from "./connect-failure.js";

/** Errors the provider may return that mean our client registration or request is wrong (RFC 6749 §4.1.2.1, §5.2). */
const CONFIG_ERRORS = new Set([
  "invalid_client",
  "unauthorized_client",
  "invalid_scope",
  "unsupported_response_type",
  "unsupported_grant_type",
  "invalid_request",
  "redirect_uri_mismatch",
  // GitHub's name for invalid_client.
  "incorrect_client_credentials",
  // Slack's names for invalid_client and a wrong redirect URI (oauth.v2.access).
  "bad_client_secret",
  "invalid_client_id",
  "bad_redirect_uri",
]);

/** Why a refresh did not produce tokens. `detail` is for logs only. */
export class RefreshFailure extends Error {
  constructor(
    readonly kind: "refused" | "transient" | "garbled",
    readonly detail: string,
  ) {
    super(`refresh ${kind}`);
    this.name = "RefreshFailure";
  }
}

/** A failed authorization response (the user's redirect back) as the flow's outcome. */
export function classifyAuthorizationError(provider: ResolvedProvider, error: unknown): ConnectFailure {
  if (error instanceof oauth.AuthorizationResponseError) {
    const detail = `${error.error}: ${error.error_description ?? ""}`;
    if (error.error === "access_denied") {
      return new ConnectFailure("access_denied", `You declined access at ${provider.displayName}.`, detail);
    }
    if (CONFIG_ERRORS.has(error.error)) {
      return new ConnectFailure(
        "provider_config",
        `${provider.displayName} refused the request (${error.error}): the vault's OAuth app for it is misconfigured.`,
        detail,
      );
    }
    return new ConnectFailure(
      "provider_error",
      `${provider.displayName} reported an error (${error.error}).`,
      detail,
    );
  }
  // State or issuer mismatch, missing parameters: not a genuine answer to our request.
  return new ConnectFailure(
    "invalid_callback",
    "This sign-in response does not match the request the vault made.",
    String(error),
  );
}

/** A failed token-endpoint exchange as the flow's outcome: configuration, provider error, or unreachable. */
export function classifyTokenError(provider: ResolvedProvider, error: unknown): ConnectFailure {
  if (error instanceof ConnectFailure) return error;
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    // A 401 challenge from the token endpoint: our client authentication failed (RFC 6749 §5.2).
    const challenge = error.cause[0];
    return new ConnectFailure(
      "provider_config",
      `${provider.displayName} rejected the vault's client credentials.`,
      `HTTP ${error.status} ${challenge?.scheme ?? ""} ${JSON.stringify(challenge?.parameters ?? {})}`,
    );
  }
  if (error instanceof oauth.ResponseBodyError) {
    const detail = `${error.error}: ${error.error_description ?? ""} (HTTP ${error.status})`;
    if (error.status >= 500) {
      return new ConnectFailure("provider_error", `${provider.displayName} is unavailable.`, detail, {
        unreachable: true,
      });
    }
    if (CONFIG_ERRORS.has(error.error)) {
      return new ConnectFailure(
        "provider_config",
        `${provider.displayName} rejected the vault's client credentials or request (${error.error}).`,
        detail,
      );
    }
    return new ConnectFailure(
      "provider_error",
      `${provider.displayName} did not accept the sign-in (${error.error}). Please try again.`,
      detail,
    );
  }
  const name = (error as Error | null)?.name;
  const cause = (error as Error | null)?.cause;
  if (name === "TimeoutError" || name === "TypeError" || name === "AbortError") {
    return new ConnectFailure(
      "provider_error",
      `${provider.displayName} could not be reached.`,
      String(error),
      { unreachable: true },
    );
  }
  return new ConnectFailure(
    "provider_error",
    `${provider.displayName} answered with something the vault could not use.`,
    String(error),
    // oauth4webapi's answer to a non-JSON 5xx (a proxy's "502 Bad Gateway" page): the provider
    // is down for now, not misconfigured, so a sign-in that met it is unavailable (503).
    { unreachable: cause instanceof Response && cause.status >= 500 },
  );
}
