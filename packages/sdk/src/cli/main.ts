import { type ParseArgsConfig, parseArgs } from "node:util";
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
import { commonFailure, printFailure } from "./output.js";
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
  -h, --help              show this help

The API key comes from GRANTVAULT_API_KEY.
Exit codes: 0 success, 1 failed (request: the provider answered other than 2xx), 2 usage,
connect only: 3 denied, 4 timed out, 5 provider misconfigured.
`;

const COMMON = {
  url: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The options of each command (a command is its first one or two words). */
const OPTIONS = {
  connect: {
    ...COMMON,
    provider: { type: "string", multiple: true },
    "no-browser": { type: "boolean" },
    timeout: { type: "string" },
    ttl: { type: "string" },
  },
  "grants list": {
    ...COMMON,
    provider: { type: "string" },
    status: { type: "string" },
    account: { type: "string" },
    limit: { type: "string" },
    all: { type: "boolean" },
  },
  "grants show": COMMON,
  "grants revoke": { ...COMMON, reason: { type: "string" } },
  audit: {
    ...COMMON,
    grant: { type: "string" },
    type: { type: "string" },
    limit: { type: "string" },
  },
  request: {
    ...COMMON,
    grant: { type: "string" },
    "json-body": { type: "string" },
    data: { type: "string", short: "d" },
    header: { type: "string", multiple: true, short: "H" },
    query: { type: "string", multiple: true },
    reason: { type: "string" },
    include: { type: "boolean", short: "i" },
  },
} as const satisfies Record<string, ParseArgsConfig["options"]>;

/** Every option, so that the words of the command can be told from option values. */
const ALL_OPTIONS = Object.assign({}, ...Object.values(OPTIONS), {
  provider: { type: "string", multiple: true },
}) as ParseArgsConfig["options"];

type Values<Command extends keyof typeof OPTIONS> = ReturnType<
  typeof parseCommand<(typeof OPTIONS)[Command]>
>["values"];

class UsageError extends Error {}

/** The end-user CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`grantvault: ${error.message}\nRun \`grantvault --help\` for usage.\n`);
      return EXIT.usage;
    }
    return printFailure(commonFailure(error), argv.includes("--json"));
  }
}

async function run(argv: string[]): Promise<number> {
  const first = parse(argv, ALL_OPTIONS, false);
  const [command, subcommand] = first.positionals;
  const wantsHelp = (first.values as { help?: unknown }).help === true || command === "help";
  if (wantsHelp || command === undefined) {
    process.stdout.write(USAGE);
    return wantsHelp ? EXIT.ok : EXIT.usage;
  }
  const { url } = first.values as { url?: unknown };
  if (typeof url === "string" && !(URL.canParse(url) && /^https?:$/.test(new URL(url).protocol))) {
    throw new UsageError(`--url must be the vault's http(s) URL, got ${JSON.stringify(url)}`);
  }
  if (command === "grants" && subcommand === undefined) {
    throw new UsageError("grants needs a subcommand: list, show GRANT_ID or revoke GRANT_ID");
  }
  const name = command === "grants" ? `grants ${subcommand}` : command;
  if (!Object.hasOwn(OPTIONS, name)) {
    throw new UsageError(
      command === "grants"
        ? `unknown grants subcommand "${subcommand}" (list, show or revoke)`
        : `unknown command "${command}"`,
    );
  }
  const key = name as keyof typeof OPTIONS;
  const words = key.split(" ").length;

  let start: () => Promise<number>;
  switch (key) {
    case "connect": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      expectOperands(positionals.slice(words), []);
      start = connect(values);
      break;
    }
    case "grants list": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      expectOperands(positionals.slice(words), []);
      start = grantsList(values);
      break;
    }
    case "grants show": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      const [grantId] = expectOperands(positionals.slice(words), ["GRANT_ID"] as const);
      start = () => grantsShowCommand({ json: values.json === true, url: values.url, grantId });
      break;
    }
    case "grants revoke": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      const [grantId] = expectOperands(positionals.slice(words), ["GRANT_ID"] as const);
      start = () =>
        grantsRevokeCommand({ json: values.json === true, url: values.url, grantId, reason: values.reason });
      break;
    }
    case "audit": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      expectOperands(positionals.slice(words), []);
      const limit = values.limit === undefined ? undefined : Number(values.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) {
        throw new UsageError("--limit must be a whole number from 1 to 200");
      }
      start = () =>
        auditCommand({
          json: values.json === true,
          url: values.url,
          grantId: values.grant,
          type: values.type,
          limit,
        });
      break;
    }
    case "request": {
      const { values, positionals } = parseCommand(argv, OPTIONS[key]);
      const [method, url] = expectOperands(positionals.slice(words), ["METHOD", "URL"] as const);
      start = request(method, url, values);
      break;
    }
  }
  if (!process.env.GRANTVAULT_API_KEY) {
    throw new UsageError(
      "set GRANTVAULT_API_KEY to an API key of your vault (`grantvault-server apps create` prints one)",
    );
  }
  return start();
}

function parse(argv: string[], options: ParseArgsConfig["options"], strict: boolean) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function parseCommand<Options extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: Options,
) {
  try {
    return parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: Options }>({
      args: argv,
      allowPositionals: true,
      strict: true,
      options,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The operands after the command words, exactly as many as `names`. */
function expectOperands<Names extends readonly string[]>(
  operands: string[],
  names: Names,
): { [Index in keyof Names]: string } {
  if (operands.length < names.length) {
    throw new UsageError(`missing ${names.slice(operands.length).join(" ")}`);
  }
  if (operands.length > names.length) {
    throw new UsageError(`unexpected argument "${operands[names.length]}"`);
  }
  return operands as { [Index in keyof Names]: string };
}

function connect(values: Values<"connect">): () => Promise<number> {
  const timeoutSeconds = values.timeout === undefined ? 300 : Number(values.timeout);
  const ttlSeconds = values.ttl === undefined ? undefined : Number(values.ttl);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError("--timeout must be a positive number of seconds");
  }
  if (ttlSeconds !== undefined && (!Number.isInteger(ttlSeconds) || ttlSeconds < 60)) {
    throw new UsageError("--ttl must be a whole number of seconds, at least 60");
  }
  return () =>
    connectCommand({
      providers: values.provider ?? [],
      browser: !values["no-browser"],
      timeoutSeconds,
      ttlSeconds,
      json: values.json === true,
      url: values.url,
    });
}

function grantsList(values: Values<"grants list">): () => Promise<number> {
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 100)) {
    throw new UsageError("--limit must be a whole number from 1 to 100");
  }
  const status = values.status;
  if (status !== undefined && !(GRANT_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--status must be one of ${GRANT_STATUSES.join(", ")}`);
  }
  return () =>
    grantsListCommand({
      json: values.json === true,
      url: values.url,
      providerId: values.provider,
      status: status as GrantStatus | undefined,
      accountIdentifier: values.account,
      limit,
      all: values.all === true,
    });
}

function request(method: string, url: string, values: Values<"request">): () => Promise<number> {
  const grantId = values.grant;
  if (grantId === undefined) {
    throw new UsageError("request needs --grant GRANT_ID (see `grantvault grants list`)");
  }
  if (values["json-body"] !== undefined && values.data !== undefined) {
    throw new UsageError("pass --json-body or --data, not both");
  }
  if ((values["json-body"] !== undefined || values.data !== undefined) && /^(GET|HEAD)$/i.test(method)) {
    throw new UsageError(`a ${method.toUpperCase()} request cannot have a body`);
  }
  let json: unknown;
  if (values["json-body"] !== undefined) {
    try {
      json = JSON.parse(values["json-body"]);
    } catch (error) {
      throw new UsageError(`--json-body is not valid JSON: ${(error as Error).message}`);
    }
  }
  const headers: Record<string, string> = {};
  for (const header of values.header ?? []) {
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
  for (const pair of values.query ?? []) {
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
      data: values.data,
      headers,
      query,
      reason: values.reason,
      include: values.include === true,
      jsonOutput: values.json === true,
      vaultUrl: values.url,
    });
}
