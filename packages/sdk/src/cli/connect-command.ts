import qrcode from "qrcode-terminal";
import type { ConnectResult } from "../connect.js";
import {
  ConnectConfigError,
  ConnectDeniedError,
  ConnectTimeoutError,
  isVaultError,
  VaultValueError,
} from "../errors.js";
import { Vault } from "../vault.js";
import { Spinner } from "./spinner.js";
import { formatTable } from "./table.js";

export interface ConnectCommandOptions {
  providers: string[];
  browser: boolean;
  timeoutSeconds: number;
  ttlSeconds: number | undefined;
  json: boolean;
  url: string | undefined;
}

/** Exit codes, so scripts can tell the outcomes apart. */
export const EXIT = { ok: 0, failed: 1, usage: 2, denied: 3, timeout: 4, config: 5 } as const;

/** `grantvault connect`: the headless flow, with progress on stderr and the grants on stdout. */
export async function connectCommand(options: ConnectCommandOptions): Promise<number> {
  const vault = new Vault(options.url ? { baseUrl: options.url } : {});
  const spinner = new Spinner();
  const err = (text: string) => void process.stderr.write(text);
  let results: ConnectResult[];
  try {
    results = await vault.connect({
      ...(options.providers.length > 0 ? { providers: options.providers } : {}),
      ...(options.ttlSeconds === undefined
        ? {}
        : { grantPolicy: { maxTtlSeconds: options.ttlSeconds, defaultTtlSeconds: options.ttlSeconds } }),
      timeout: options.timeoutSeconds * 1000,
      openBrowser: options.browser,
      print: err,
      onWaiting: ({ connectUrl, browserOpened }) => {
        if (!browserOpened) {
          err("\nOr scan this code with your phone:\n");
          qrcode.generate(connectUrl, { small: true }, (code) => err(`${code}\n`));
        }
        spinner.start(
          browserOpened
            ? "Waiting for you to finish in the browser that just opened… (Ctrl-C to stop)"
            : "Waiting for the link to be opened and completed… (Ctrl-C to stop)",
        );
      },
    });
  } catch (error) {
    spinner.stop();
    return reportFailure(error, options.json);
  }
  spinner.stop();
  if (options.json) {
    const rows = results.map((result) => ({
      grant_id: result.grantId,
      provider_id: result.providerId,
      account_identifier: result.accountIdentifier,
      scopes: result.scopes,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  } else {
    err("Connected.\n");
    process.stdout.write(`${grantsTable(results)}\n`);
  }
  return EXIT.ok;
}

function reportFailure(error: unknown, json: boolean): number {
  // A provider the vault does not have is a ConnectConfigError for the SDK; on the command line
  // it is a mistyped --provider: a usage error.
  const exit =
    error instanceof VaultValueError || (isVaultError(error) && error.code === "unknown_provider")
      ? EXIT.usage
      : error instanceof ConnectDeniedError
        ? EXIT.denied
        : error instanceof ConnectTimeoutError
          ? EXIT.timeout
          : error instanceof ConnectConfigError
            ? EXIT.config
            : EXIT.failed;
  const code = isVaultError(error) ? error.code : "failed";
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    exit === EXIT.config
      ? " Check the provider's client id, secret and redirect URI in the vault's providers file."
      : exit === EXIT.timeout
        ? " Run the command again, with a longer --timeout if you need more time."
        : "";
  if (json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else process.stderr.write(`grantvault: ${message}${hint}\n`);
  return exit;
}

function grantsTable(results: ConnectResult[]): string {
  return formatTable([
    ["GRANT ID", "PROVIDER", "ACCOUNT", "SCOPES"],
    ...results.map((result) => [
      result.grantId,
      result.providerId,
      result.accountIdentifier,
      result.scopes.join(" "),
    ]),
  ]);
}
