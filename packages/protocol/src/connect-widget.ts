/**
 * The contract between the hosted Connect page and the Connect.js widget (`packages/connect-js`).
 *
 * Desktop: the widget opens `<connect_url>?display=popup` in a popup. The page posts
 * {@link WidgetMessage}s to `window.opener` with the session's `allowed_origin` as target origin
 * (never `*`); the widget accepts a message only when its origin is the vault's origin, its source
 * is the popup it opened, and its `session_id` is the session it opened. The widget also watches
 * `GET /connect/<session token>/status` (CORS-enabled for the session's `allowed_origin`, long-poll
 * with `?wait=<seconds>`), so a lost message or a closed popup is noticed.
 *
 * Small screens: the widget navigates the whole page to `<connect_url>?display=redirect`; when the
 * session ends, the vault sends the browser to the session's `return_url` with
 * {@link RETURN_URL_PARAMS} added (session id and status — never a token or an authorization code).
 */
import type { ConnectResultBody } from "./connect-sessions.js";

export const WIDGET_MESSAGE_TYPE = "grantvault:connect";

/** `?display=` on the Connect URL: how the page was opened. Absent means a plain browser tab. */
export const CONNECT_DISPLAY_MODES = ["popup", "redirect"] as const;
export type ConnectDisplayMode = (typeof CONNECT_DISPLAY_MODES)[number];

/** Events the widget reports through `onEvent`; the page posts the middle three. */
export const WIDGET_EVENTS = [
  "OPEN",
  "PROVIDER_SELECTED",
  "OAUTH_STARTED",
  "OAUTH_COMPLETE",
  "EXIT",
] as const;
export type WidgetEventName = (typeof WIDGET_EVENTS)[number];

/** Stable codes of the errors the widget reports through `onError`. */
export const WIDGET_ERROR_CODES = [
  "popup_blocked",
  "session_expired",
  "invalid_token",
  "access_denied",
  "provider_error",
  "network_error",
] as const;
export type WidgetErrorCode = (typeof WIDGET_ERROR_CODES)[number];

/** What the Connect page posts to the widget. */
export interface WidgetMessage {
  type: typeof WIDGET_MESSAGE_TYPE;
  version: 1;
  session_id: string;
  event: "PROVIDER_SELECTED" | "OAUTH_STARTED" | "OAUTH_COMPLETE";
  /** The provider the user chose (PROVIDER_SELECTED, OAUTH_STARTED). */
  provider?: string;
  /** OAUTH_COMPLETE with success. */
  results?: ConnectResultBody[];
  /** OAUTH_COMPLETE without a grant. */
  error?: { code: WidgetErrorCode; message: string };
}

/** Query parameters the vault adds to `return_url` when a redirect-mode session ends. */
export const RETURN_URL_PARAMS = {
  sessionId: "grantvault_session_id",
  /** `success`, `denied` or `error`. */
  status: "grantvault_status",
} as const;
export type ReturnUrlStatus = "success" | "denied" | "error";
