import { PARAMS } from "./contract.js";
import type { ConnectReturn } from "./types.js";

/**
 * Reads what the vault added to `return_url` after a redirect-mode session (`grantvault_session_id`,
 * `grantvault_status`); null when they are absent. Ask your backend for the session's grant.
 */
export function readReturn(url: string | URL = location.href): ConnectReturn | null {
  let params: URLSearchParams;
  try {
    params = new URL(String(url), typeof location === "undefined" ? undefined : location.href).searchParams;
  } catch {
    return null;
  }
  const sessionId = params.get(PARAMS.sessionId);
  const status = params.get(PARAMS.status);
  return sessionId && (status === "success" || status === "denied" || status === "error")
    ? { sessionId, status }
    : null;
}
