import { VaultError } from "../errors.js";
import type { AccessMode } from "../grants/credential-access.js";

/** How a use of a grant ended: handed out or proxied, refused with a stable code, or failed. */
export type GrantUseOutcome = "ok" | "refused" | "error";
/** How a token refresh ended (the refresher's own failure kinds). */
export type RefreshOutcome = "ok" | "reauth_required" | "unavailable" | "revoked" | "error";
/** How a connect session ended. */
export type SessionEndOutcome = "completed" | "denied" | "failed";

/**
 * What the services report about the work they do. The services record where the outcome is
 * known and never see the metrics library; tests and CLI commands pass {@link NO_METRICS}.
 */
export interface VaultMetrics {
  grantUse(mode: AccessMode, outcome: GrantUseOutcome, seconds: number): void;
  refresh(outcome: RefreshOutcome): void;
  sessionEnded(outcome: SessionEndOutcome): void;
  auditAppend(seconds: number): void;
}

/** Records nothing. */
export const NO_METRICS: VaultMetrics = {
  grantUse: () => {},
  refresh: () => {},
  sessionEnded: () => {},
  auditAppend: () => {},
};

/** Seconds since `started` (a `performance.now()` reading). */
export function secondsSince(started: number): number {
  return (performance.now() - started) / 1000;
}

/**
 * Runs one use of a grant and records its duration and outcome: a VaultError below 500 is a
 * refusal (the caller's key, the grant, the target), anything else an error.
 */
export async function timedGrantUse<T>(
  metrics: VaultMetrics,
  mode: AccessMode,
  use: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const result = await use();
    metrics.grantUse(mode, "ok", secondsSince(started));
    return result;
  } catch (error) {
    const refused = error instanceof VaultError && error.status < 500;
    metrics.grantUse(mode, refused ? "refused" : "error", secondsSince(started));
    throw error;
  }
}
