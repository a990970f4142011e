import { createRequire } from "node:module";
import { idProblem } from "@grantvault/protocol";
import {
  type CliSpec,
  CommandLineError,
  type CommandSpec,
  commandHelp,
  groupHelp,
  type OptionValues,
  type ParsedCommandLine,
  parseCommandLine,
  usageErrorText,
  wantsJson,
} from "@grantvault/protocol/cli-args";
import { resolveVaultAccess } from "../local-credentials.js";
import type { QueryValue } from "../request.js";
import { auditCommand } from "./audit-command.js";
import { connectCommand, EXIT } from "./connect-command.js";
import {
  GRANT_STATUSES,
  type GrantStatus,
  grantsListCommand,
  grantsRevokeCommand,
  grantsShowCommand,
} from "./grants-command.js";
import { commonFailure, printFailure, printJson } from "./output.js";
import { requestCommand } from "./request-command.js";

const USAGE = `Usage: grantvault <command> [options]

Commands:
  connect                 connect an account (opens your browser, or prints a link and QR code)
  grants list             list the app's grants, newest first
  grants show GRANT_ID    show one grant
  grants revoke GRANT_ID  revoke a grant (its tokens are deleted, and revoked at the provider)
  request METHOD URL      call a provider's API as a grant's account; the body goes to stdout
  audit                   the app's audit log, newest first

Options for connect:
  --provider ID           a provider to offer (repeat for several; default: all the vault has)
  --no-browser            do not open a browser; print the link (and a QR code) only
  --timeout SECONDS       how long to wait for you (default 300)
  --ttl SECONDS           the grant expires after this long (default: never)

Options for audit:
  --grant GRANT_ID        only this grant's events
  --type TYPE             only events of this type (e.g. credential.retrieved, credential.refused)
  --limit N               events to show, 1-200 (default 50)

Options for grants list:
  --provider ID           only this provider's grants
  --status STATUS         only grants in this status: active, expired, revoked or reauth_required
  --account ID            only this account (e.g. alice@example.com)
  --limit N               grants per page, 1-100 (default 50)
  --all                   list every page, not only the first

Options for grants revoke:
  --reason TEXT           why (recorded with the grant)

Options for request:
  --grant ID              the grant to act as (required)
  --json-body JSON        send this JSON body (content-type: application/json)
  --data TEXT, -d         send this body as is
  --header "Name: value"  add a header (repeatable; not Authorization: the vault sets it), -H
  --query NAME=VALUE      add a query parameter (repeatable)
  --reason TEXT           why the call is made (recorded in the audit log)
  --include, -i           print the status line and headers to stderr first

Options for every command:
  --url URL               the vault (default GRANTVAULT_URL, else http://127.0.0.1:7400)
  --json                  print the result as JSON (errors as {"error":{"code","message"}} on stderr)
  -h, --help              show this help (\`grantvault connect --help\`: one command's)
  --version               print the version

The API key comes from GRANTVAULT_API_KEY, else from the local vault's .grantvault/credentials.json
(written by its first start) in this folder or one above.
Exit codes: 0 success, 1 failed (request: the provider answered other than 2xx), 2 usage,
connect only: 3 denied, 4 timed out, 5 provider misconfigured.
`;

const GRANT_ID = { name: "GRANT_ID", hint: "see `grantvault grants list`" } as const;

/** Every command, its operands and options: the parser and the per-command help read it. */
const CLI: CliSpec = {
  program: "grantvault",
  common: {
    url: {
      type: "string",
      value: "URL",
      description: "the vault (default GRANTVAULT_URL, else http://127.0.0.1:7400)",
    },
    json: {
      type: "boolean",
      description: 'print the result as JSON (errors as {"error":{"code","message"}} on stderr)',
    },
    help: { type: "boolean", short: "h", description: "show this help" },
    version: { type: "boolean", description: "print the version" },
  },
  commands: [
    {
      name: "connect",
      summary: "connect an account (opens your browser, or prints a link and QR code)",
      options: {
        provider: {
          type: "string",
          multiple: true,
          value: "ID",
          description: "a provider to offer (repeat for several; default: all the vault has)",
        },
        browser: {
          type: "boolean",
          label: "--no-browser",
          description: "do not open a browser; print the link (and a QR code) only",
        },
        timeout: { type: "string", value: "SECONDS", description: "how long to wait for you (default 300)" },
        ttl: {
          type: "string",
          value: "SECONDS",
          description: "the grant expires after this long (default: never)",
        },
      },
      footer: "Exit codes: 0 connected, 1 failed, 2 usage, 3 denied, 4 timed out, 5 provider misconfigured.",
    },
    {
      name: "grants list",
      summary: "list the app's grants, newest first",
      options: {
        provider: { type: "string", value: "ID", description: "only this provider's grants" },
        status: {
          type: "string",
          value: "STATUS",
          description: "only grants in this status: active, expired, revoked or reauth_required",
        },
        account: { type: "string", value: "ID", description: "only this account (e.g. alice@example.com)" },
        limit: { type: "string", value: "N", description: "grants per page, 1-100 (default 50)" },
        all: { type: "boolean", description: "list every page, not only the first" },
      },
    },
    { name: "grants show", summary: "show one grant", operands: [GRANT_ID] },
    {
      name: "grants revoke",
      summary: "revoke a grant (its tokens are deleted, and revoked at the provider)",
      operands: [GRANT_ID],
      options: { reason: { type: "string", value: "TEXT", description: "why (recorded with the grant)" } },
    },
    {
      name: "request",
      summary: "call a provider's API as a grant's account; the body goes to stdout",
      operands: [{ name: "METHOD" }, { name: "URL" }],
      options: {
        grant: { type: "string", value: "ID", description: "the grant to act as (required)" },
        "json-body": {
          type: "string",
          value: "JSON",
          description: "send this JSON body (content-type: application/json)",
        },
        data: { type: "string", short: "d", value: "TEXT", description: "send this body as is" },
        header: {
          type: "string",
          multiple: true,
          short: "H",
          value: '"Name: value"',
          description: "add a header (repeatable; not Authorization: the vault sets it)",
        },
        query: {
          type: "string",
          multiple: true,
          value: "NAME=VALUE",
          description: "add a query parameter (repeatable)",
        },
        reason: {
          type: "string",
          value: "TEXT",
          description: "why the call is made (recorded in the audit log)",
        },
        include: {
          type: "boolean",
          short: "i",
          description: "print the status line and headers to stderr first",
        },
      },
      footer:
        "Exit codes: 0 the provider answered 2xx, 1 it answered otherwise (or the vault refused), 2 usage.",
    },
    {
      name: "audit",
      summary: "the app's audit log, newest first",
      options: {
        grant: { type: "string", value: "GRANT_ID", description: "only this grant's events" },
        type: {
          type: "string",
          value: "TYPE",
          description: "only events of this type (e.g. credential.retrieved, credential.refused)",
        },
        limit: { type: "string", value: "N", description: "events to show, 1-200 (default 50)" },
      },
    },
  ],
};

/** A mistake in the values given to a command (its usage is the help to point at). */
class UsageError extends Error {}

/** The end-user CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CommandLineError) {
      process.stderr.write(usageErrorText(CLI.program, error, wantsJson(argv)));
      return EXIT.usage;
    }
    return printFailure(commonFailure(error), wantsJson(argv));
  }
}

async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(CLI, argv);
  if (parsed.kind !== "run") return answer(parsed);
  let start: () => Promise<number>;
  try {
    start = prepare(parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new CommandLineError(error.message, `${CLI.program} ${parsed.command.name} --help`);
  }
  try {
    // The key from GRANTVAULT_API_KEY or a local vault's credentials file, checked before any call.
    resolveVaultAccess({ baseUrl: parsed.values.url as string | undefined });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return start();
}

/** What `help`, `--version` and a bare `grantvault` print. */
function answer(parsed: Exclude<ParsedCommandLine, { kind: "run" }>): number {
  switch (parsed.kind) {
    case "none":
      process.stdout.write(USAGE);
      return EXIT.usage;
    case "help":
      process.stdout.write(helpText(parsed.topic));
      return EXIT.ok;
    case "version":
      if (parsed.json) printJson({ version: VERSION });
      else process.stdout.write(`grantvault ${VERSION}\n`);
      return EXIT.ok;
  }
}

/** Checks the command's values; the command to run once they are right. */
function prepare(parsed: Extract<ParsedCommandLine, { kind: "run" }>): () => Promise<number> {
  const { command, operands, values } = parsed;
  const url = text(values, "url");
  if (url !== undefined && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
    throw new UsageError(`--url must be the vault's http(s) URL, got ${JSON.stringify(url)}`);
  }
  const json = parsed.json;
  checkGrantIds(command.name, operands, values);
  switch (command.name) {
    case "connect":
      return connect(values, json, url);
    case "grants list":
      return grantsList(values, json, url);
    case "grants show": {
      const [grantId = ""] = operands;
      return () => grantsShowCommand({ json, url, grantId });
    }
    case "grants revoke": {
      const [grantId = ""] = operands;
      return () => grantsRevokeCommand({ json, url, grantId, reason: text(values, "reason") });
    }
    case "audit": {
      const limitText = text(values, "limit");
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) {
        throw new UsageError("--limit must be a whole number from 1 to 200");
      }
      return () =>
        auditCommand({ json, url, grantId: text(values, "grant"), type: text(values, "type"), limit });
    }
    case "request": {
      const [method = "", target = ""] = operands;
      return request(method, target, values, json, url);
    }
    default:
      throw new Error(`no handler for ${command.name}`);
  }
}

/** The version in this package's package.json: two levels up from src/cli and from dist/cli alike. */
const VERSION: string = createRequire(import.meta.url)("../../package.json").version;

/** A malformed grant id is a usage error, said before anything reaches the vault. */
function checkGrantIds(command: string, operands: string[], values: OptionValues): void {
  const given = [
    ...(command.startsWith("grants ") && operands[0] !== undefined ? [["GRANT_ID", operands[0]]] : []),
    ...(text(values, "grant") === undefined ? [] : [["--grant", text(values, "grant")]]),
  ];
  for (const [what, value] of given) {
    const problem = idProblem("grant", value);
    if (problem !== null) throw new UsageError(`${what}: ${problem}`);
  }
}

function helpText(topic: CommandSpec | string | null): string {
  if (topic === null) return USAGE;
  return typeof topic === "string" ? groupHelp(CLI, topic) : commandHelp(CLI, topic);
}

function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

function list(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

function connect(values: OptionValues, json: boolean, url: string | undefined): () => Promise<number> {
  const timeout = text(values, "timeout");
  const ttl = text(values, "ttl");
  const timeoutSeconds = timeout === undefined ? 300 : Number(timeout);
  const ttlSeconds = ttl === undefined ? undefined : Number(ttl);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError("--timeout must be a positive number of seconds");
  }
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < 60)) {
    throw new UsageError("--ttl must be a whole number of seconds, at least 60");
  }
  return () =>
    connectCommand({
      providers: list(values, "provider"),
      browser: values.browser !== false,
      timeoutSeconds,
      ttlSeconds,
      json,
      url,
    });
}

function grantsList(values: OptionValues, json: boolean, url: string | undefined): () => Promise<number> {
  const limitText = text(values, "limit");
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) {
    throw new UsageError("--limit must be a whole number from 1 to 100");
  }
  const status = text(values, "status");
  if (status !== undefined && !(GRANT_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${GRANT_STATUSES.join(", ")}`);
  }
  return () =>
    grantsListCommand({
      json,
      url,
      providerId: text(values, "provider"),
      status: status as GrantStatus | undefined,
      accountIdentifier: text(values, "account"),
      limit,
      all: values.all === true,
    });
}

function request(
  method: string,
  url: string,
  values: OptionValues,
  jsonOutput: boolean,
  vaultUrl: string | undefined,
): () => Promise<number> {
  const grantId = text(values, "grant");
  const jsonBody = text(values, "json-body");
  const data = text(values, "data");
  if (grantId === undefined) {
    throw new UsageError("request needs --grant GRANT_ID (see `grantvault grants list`)");
  }
  if (jsonBody !== undefined && data !== undefined) {
    throw new UsageError("pass --json-body or --data, not both");
  }
  if ((jsonBody !== undefined || data !== undefined) && /^(GET|HEAD)$/i.test(method)) {
    throw new UsageError(`a ${method.toUpperCase()} request cannot have a body`);
  }
  let json: unknown;
  if (jsonBody !== undefined) {
    try {
      json = JSON.parse(jsonBody);
    } catch (error) {
      throw new UsageError(`--json-body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const headers: Record<string, string> = {};
  for (const header of list(values, "header")) {
    const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(header);
    if (!match?.[1])
      throw new UsageError(`--header must look like "Name: value", got ${JSON.stringify(header)}`);
    const [, headerName, value = ""] = match;
    const known = Object.keys(headers).find(
      (existing) => existing.toLowerCase() === headerName.toLowerCase(),
    );
    if (known === undefined) headers[headerName] = value;
    else headers[known] = `${headers[known]}, ${value}`;
  }
  const query: Record<string, QueryValue> = {};
  for (const pair of list(values, "query")) {
    const equals = pair.indexOf("=");
    if (equals < 1) throw new UsageError(`--query must look like name=value, got ${JSON.stringify(pair)}`);
    const queryName = pair.slice(0, equals);
    const previous = query[queryName];
    const value = pair.slice(equals + 1);
    query[queryName] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return () =>
    requestCommand({
      method,
      url,
      grantId,
      json,
      data,
      headers,
      query,
      reason: text(values, "reason"),
      include: values.include === true,
      jsonOutput,
      vaultUrl,
    });
}
