/** The public types of Connect.js: what `create()` and `open()` take, and what the app gets back. */
import type {
  ConnectResultBody,
  ReturnUrlStatus,
  WidgetErrorCode,
  WidgetEventName,
} from "@grantvault/protocol";

export type { ConnectResultBody, ReturnUrlStatus, WidgetErrorCode, WidgetEventName };

export interface CreateOptions {
  /** The vault's public URL, e.g. `https://vault.example.com`. Messages are accepted from its origin only. */
  baseUrl: string;
  /** Log the lifecycle to the console (never the session token). */
  debug?: boolean;
}

/** What `onError` receives: `code` is stable, `message` is for people. */
export interface ConnectError extends Error {
  code: WidgetErrorCode;
}

/** The second argument of `onEvent` and of `on()` handlers. */
export interface EventMetadata {
  /** ISO 8601. */
  timestamp: string;
  /** Known from `OPEN` on (popup mode). */
  session_id?: string;
  display?: "popup" | "redirect";
  /** `PROVIDER_SELECTED`, `OAUTH_STARTED`. */
  provider?: string;
  /** `OAUTH_COMPLETE`. */
  status?: "success" | "error";
  /** `OAUTH_COMPLETE` without a grant. */
  error_code?: WidgetErrorCode;
}

export interface OpenOptions {
  /** The session token your backend got from `createConnectSession()`. */
  token: string;
  /** The grants (at least one), as on the wire (`grant_id`, `provider_id`, `account_identifier`, `scopes`, `grant_policy`). */
  onSuccess: (results: ConnectResultBody[]) => void;
  onError?: (error: ConnectError) => void;
  /** The user closed the popup without finishing. */
  onExit?: () => void;
  onEvent?: (name: WidgetEventName, metadata: EventMetadata) => void;
}

export type EventHandler = (metadata: EventMetadata, name: WidgetEventName) => void;

export interface GrantvaultConnect {
  /**
   * Opens the Connect page. Call it synchronously inside the click handler (no `await` before it),
   * or the browser's popup blocker steps in. Exactly one of `onSuccess`, `onError` and `onExit`
   * follows, unless `close()` or `destroy()` ends the flow first. A no-op (focusing the popup)
   * while a flow is open.
   */
  open(options: OpenOptions): void;
  /** Closes the popup and stops watching the session; no callback follows. */
  close(): void;
  /** `close()`, and removes every listener; `open()` throws afterwards. */
  destroy(): void;
  isOpen(): boolean;
  /** Long-lived handlers for every flow of this instance; called before `onEvent`. */
  on(name: WidgetEventName, handler: EventHandler): void;
  off(name: WidgetEventName, handler: EventHandler): void;
}

/** What the vault adds to `return_url` after a redirect-mode session. */
export interface ConnectReturn {
  sessionId: string;
  status: ReturnUrlStatus;
}
