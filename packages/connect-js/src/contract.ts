import type { RETURN_URL_PARAMS, WIDGET_ERROR_CODES, WidgetMessage } from "@grantvault/protocol";

// Copies of the contract's constants; the type annotations make `tsc` fail if they drift.
export const MESSAGE_TYPE: WidgetMessage["type"] = "grantvault:connect";
export const PARAMS: typeof RETURN_URL_PARAMS = {
  sessionId: "grantvault_session_id",
  status: "grantvault_status",
};
export const ERROR_CODES: typeof WIDGET_ERROR_CODES = [
  "popup_blocked",
  "session_expired",
  "invalid_token",
  "access_denied",
  "provider_error",
  "network_error",
];
