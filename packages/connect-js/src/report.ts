import type { WidgetErrorCode } from "@grantvault/protocol";
import type { ConnectError } from "./types.js";

// How the widget reports to the app: through the app's callbacks, and with ConnectErrors.

/** Calls a user callback; what it throws is rethrown outside the widget, so the flow state is kept. */
export function call<A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A): void {
  try {
    fn?.(...args);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

export function connectError(code: WidgetErrorCode, message: string): ConnectError {
  const error = new Error(message) as ConnectError;
  error.name = "GrantvaultConnectError";
  error.code = code;
  return error;
}
