import { AuthenticationError, isVaultError, NetworkError, VaultValueError } from "../errors.js";
import { EXIT } from "./connect-command.js";

/** What a command prints when it fails, and the exit code. */
export interface Failure {
  exit: number;
  /** A registry code (`grant_not_found`…), an SDK code, or `failed`. */
  code: string;
  message: string;
}

/**
 * The failures every vault command shares: bad arguments the SDK refused (exit 2), a refused API
 * key, an unreachable vault, any other vault error (exit 1).
 */
export function commonFailure(error: unknown): Failure {
  if (error instanceof VaultValueError) return { exit: EXIT.usage, code: error.code, message: error.message };
  if (error instanceof AuthenticationError) {
    return {
      exit: EXIT.failed,
      code: error.code,
      message: `the vault refused the API key (${error.code}): check GRANTVAULT_API_KEY (or the local .grantvault/credentials.json); \`grantvault-server keys create --app default\` (or your app's name) makes a new one`,
    };
  }
  if (error instanceof NetworkError) {
    return {
      exit: EXIT.failed,
      code: error.code,
      message: `${error.message}: is it running? Point --url or GRANTVAULT_URL at it`,
    };
  }
  if (isVaultError(error)) {
    const issues = (error.issues ?? []).map((issue) =>
      issue.path ? `${issue.path}: ${issue.message}` : issue.message,
    );
    const detail = issues.length > 0 ? ` (${issues.join("; ")})` : "";
    return { exit: EXIT.failed, code: error.code, message: `${error.message}${detail}` };
  }
  return {
    exit: EXIT.failed,
    code: "failed",
    message: error instanceof Error ? error.message : String(error),
  };
}

/** Prints a failure on stderr (`{"error":{code,message}}` with --json) and returns its exit code. */
export function printFailure(failure: Failure, json: boolean): number {
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { code: failure.code, message: failure.message } })}\n`);
  } else {
    process.stderr.write(`grantvault: ${failure.message}\n`);
  }
  return failure.exit;
}

/** Writes a value as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
