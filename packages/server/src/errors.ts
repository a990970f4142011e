import { ERROR_CODES, type ErrorBody, type ErrorCode, type ErrorIssue } from "@grantvault/protocol";

/**
 * An error the vault answers with: a stable code from the registry, its HTTP status, and a public
 * message. `cause` is for logs only and is never sent to the client.
 */
export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: ErrorIssue[] | undefined;

  constructor(code: ErrorCode, options: { message?: string; issues?: ErrorIssue[]; cause?: unknown } = {}) {
    super(
      options.message ?? ERROR_CODES[code].message,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.name = "VaultError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.issues = options.issues;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) },
    };
  }
}
