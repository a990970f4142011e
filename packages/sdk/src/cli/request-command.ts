import {
  CredentialRevokedError,
  GrantExpiredError,
  GrantRevokedError,
  HostNotAllowedError,
  isVaultError,
  ReAuthRequiredError,
  TokenRefreshUnavailableError,
} from "../errors.js";
import type { QueryValue, RequestOptions } from "../request.js";
import type { Vault } from "../vault.js";
import { EXIT } from "./connect-command.js";
import { grantFailure, openVault } from "./grants-command.js";
import { type Failure, printFailure, printJson } from "./output.js";
import { printable } from "./table.js";

export interface RequestCommandOptions {
  method: string;
  url: string;
  grantId: string;
  /** Parsed `--json-body`. */
  json: unknown;
  data: string | undefined;
  headers: Record<string, string>;
  query: Record<string, QueryValue>;
  reason: string | undefined;
  /** `--include`: the status line and headers on stderr before the body. */
  include: boolean;
  /** `--json`: one JSON object `{ status, status_text, headers, body }` on stdout. */
  jsonOutput: boolean;
  vaultUrl: string | undefined;
}

/**
 * `grantvault request METHOD URL --grant ID`: `vault.request()`, with the provider's body on stdout.
 * Exits 0 for a 2xx answer and 1 for any other (the body is printed all the same).
 */
export async function requestCommand(options: RequestCommandOptions): Promise<number> {
  let vault: Vault | undefined;
  let response: Response;
  let body: Buffer;
  try {
    vault = openVault(options.vaultUrl);
    const requestOptions: RequestOptions = {
      grantId: options.grantId,
      ...(options.json === undefined ? {} : { json: options.json }),
      ...(options.data === undefined ? {} : { body: options.data }),
      ...(Object.keys(options.headers).length > 0 ? { extraHeaders: options.headers } : {}),
      ...(Object.keys(options.query).length > 0 ? { queryParams: options.query } : {}),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    };
    response = await vault.request(options.method, options.url, requestOptions);
    body = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    return printFailure(await requestFailure(error, options, vault), options.jsonOutput);
  }

  const ok = response.status >= 200 && response.status < 300;
  const contentType = response.headers.get("content-type") ?? "";
  const isJson = /^[^;]*[/+]json\s*(?:;|$)/i.test(contentType);
  if (options.include) {
    const lines = [`HTTP ${response.status} ${response.statusText}`.trimEnd()];
    for (const [name, value] of response.headers) lines.push(`${name}: ${value}`);
    process.stderr.write(`${lines.join("\n")}\n\n`);
  }
  if (options.jsonOutput) {
    const text = body.toString("utf8");
    const parsed = isJson ? parseJson(text) : undefined;
    printJson({
      status: response.status,
      status_text: response.statusText,
      headers: Object.fromEntries(response.headers),
      body: parsed === undefined ? text : parsed.value,
    });
  } else if (isJson && process.stdout.isTTY) {
    const text = body.toString("utf8");
    const parsed = parseJson(text);
    process.stdout.write(parsed === undefined ? text : `${JSON.stringify(parsed.value, null, 2)}\n`);
  } else {
    process.stdout.write(body);
  }
  if (!ok && !options.include && !options.jsonOutput) {
    const location = response.headers.get("location");
    const redirect =
      response.status >= 300 && response.status < 400
        ? ` (redirects are not followed, so the token goes nowhere else${location ? `; location: ${location}` : ""})`
        : "";
    process.stderr.write(
      `grantvault: the provider answered ${response.status} ${response.statusText}`.trimEnd() +
        `${redirect}\n`,
    );
  }
  return ok ? EXIT.ok : EXIT.failed;
}

async function requestFailure(
  error: unknown,
  options: RequestCommandOptions,
  vault: Vault | undefined,
): Promise<Failure> {
  const { grantId } = options;
  if (error instanceof HostNotAllowedError) {
    const host = URL.canParse(options.url) ? new URL(options.url).host : options.url;
    // The vault's reason, when it is not the host itself (plain http, credentials in the URL).
    const detail = /not an API host/.test(error.message) ? "" : `. The vault said: ${error.message}`;
    return {
      exit: EXIT.failed,
      code: error.code,
      message: `${host} is not an API host of the grant's provider; no token was used${detail}`,
    };
  }
  if (error instanceof ReAuthRequiredError) {
    const grant = await vault?.getGrant(grantId).catch(() => undefined);
    const reason = grant?.statusReason ? ` (${printable(grant.statusReason)})` : "";
    const what =
      error instanceof GrantRevokedError
        ? `grant ${grantId} was revoked${reason}`
        : error instanceof GrantExpiredError
          ? `grant ${grantId} has expired`
          : error instanceof CredentialRevokedError
            ? `the provider no longer accepts the tokens of grant ${grantId}${reason}`
            : error.message.replace(/\.$/, "");
    return {
      exit: EXIT.failed,
      code: error.code,
      message: `${what}; connect the account again: grantvault connect --provider ${grant?.providerId ?? "PROVIDER"}`,
    };
  }
  if (error instanceof TokenRefreshUnavailableError) {
    return {
      exit: EXIT.failed,
      code: error.code,
      message: `the provider could not refresh the token of grant ${grantId} just now (the grant is kept); try again shortly`,
    };
  }
  if (!isVaultError(error) && error instanceof Error) {
    // The vault handed out the credential; the call to the provider itself failed.
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    const host = URL.canParse(options.url) ? new URL(options.url).host : options.url;
    return { exit: EXIT.failed, code: "provider_unreachable", message: `calling ${host} failed: ${cause}` };
  }
  return grantFailure(error, grantId);
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}
