import { parseArgs } from "node:util";
import { ConfigError, loadConfig, SETTINGS, type ServerConfig } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import { ProvidersFileError } from "../providers/provider-registry.js";
import { openRuntime } from "../runtime.js";
import { serve } from "../serve.js";
import {
  appsAllowGrantUseWithoutUser,
  appsAllowOrigin,
  appsCreate,
  appsDisallowOrigin,
  appsList,
  appsRequireUserToken,
  type CommandContext,
  keysCreate,
  keysList,
  keysRevoke,
} from "./app-commands.js";
import { auditCheckpoints, auditVerify } from "./audit-commands.js";
import { doctor } from "./doctor.js";
import { keysDrop, keysGenerate, keysRotate, keysStatus } from "./encryption-key-commands.js";
import { emit, type Output, processOutput, UsageError } from "./output.js";

/** Each command resolves with its exit code, or with nothing for success. */
const COMMANDS: Record<string, (context: CommandContext) => Promise<unknown>> = {
  "apps create": appsCreate,
  "apps list": appsList,
  "apps allow-origin": appsAllowOrigin,
  "apps disallow-origin": appsDisallowOrigin,
  "apps allow-grant-use-without-user": appsAllowGrantUseWithoutUser,
  "apps require-user-token": appsRequireUserToken,
  "keys create": keysCreate,
  "keys list": keysList,
  "keys revoke": keysRevoke,
  "keys rotate": keysRotate,
  "keys status": keysStatus,
  "keys drop": keysDrop,
  "audit verify": auditVerify,
  "audit checkpoints": auditCheckpoints,
  migrate: migrateCommand,
};

const USAGE = `Usage: grantvault-server <command> [options]

Commands:
  serve                          run the vault (the default command)
  migrate                        apply pending database migrations and exit
  doctor                         check settings, data directory, database, key ring and
                                 providers (discovery reachable); say what to fix; exit 1 if
                                 anything fails. Changes nothing.
  apps create --name NAME        create an app and print its first API key (once)
  apps list                      list apps
  apps allow-origin APP ORIGIN   let APP's web flows use ORIGIN (Connect.js popup, return URLs)
  apps disallow-origin APP ORIGIN  take that back
  apps allow-grant-use-without-user APP
                                 let APP use its user-bound grants without the user's token
                                 (audited; the default requires it)
  apps require-user-token APP    back to the default: a user-bound grant needs its user's token
  keys create --app APP_ID       create another API key for an app (printed once); all scopes
               [--proxy-only]  unless --proxy-only (no scope: proxy mode only, for agents) or
               [--scopes LIST] --scopes admin,retrieve (admin: manage keys; retrieve: get tokens)
  keys list [--app APP_ID]       list API keys (prefixes only)
  keys revoke KEY_ID             revoke an API key, effective immediately
  keys rotate                    add a new encryption key and re-encrypt every stored secret
  keys status                    show encryption keys and how many secrets each protects
  keys drop KEY_ID               remove an unused old encryption key from the key file
  keys generate                  print a new encryption key entry for GRANTVAULT_MASTER_KEY
  audit verify [--app APP_ID]    check the audit log's keyed hash chains; exit 1 if a row was
    [--checkpoints FILE]         altered or deleted; FILE: checkpoints exported before
  audit checkpoints [--app APP_ID] [--out FILE] [--adopt-legacy]
                                 sign each verified chain's tip, record it, print it as JSON
                                 lines (or append them to FILE, kept outside the database);
                                 --adopt-legacy once after upgrading (rows without MAC)

Options:
  --json                         machine-readable output
  -h, --help                     show this help
${Object.values(SETTINGS)
  .map((setting) =>
    "flag" in setting
      ? `  --${`${setting.flag} VALUE`.padEnd(29)}${setting.description} [${setting.env}]`
      : null,
  )
  .filter(Boolean)
  .join("\n")}

GRANTVAULT_MASTER_KEY is read from the environment only. See the README for every setting.
`;

const CONFIG_FLAGS = Object.values(SETTINGS).flatMap((setting) => ("flag" in setting ? [setting.flag] : []));
const BOOLEAN_FLAGS = new Set<string>(
  Object.values(SETTINGS).flatMap((setting) => ("boolean" in setting ? [setting.flag] : [])),
);

/** Runs the CLI; resolves with the process exit code (serve keeps running and resolves at once). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  output: Output = processOutput,
): Promise<number> {
  let json = argv.includes("--json");
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        name: { type: "string" },
        app: { type: "string" },
        scopes: { type: "string" },
        checkpoints: { type: "string" },
        out: { type: "string" },
        "adopt-legacy": { type: "boolean" },
        "proxy-only": { type: "boolean" },
        ...Object.fromEntries(
          CONFIG_FLAGS.map((flag) => [
            flag,
            { type: BOOLEAN_FLAGS.has(flag) ? ("boolean" as const) : ("string" as const) },
          ]),
        ),
      },
    });
    json = values.json === true;
    if (values.help || positionals[0] === "help") {
      output.out(USAGE);
      return 0;
    }
    const [group = "serve", sub, ...rest] = positionals;
    if (group === "keys" && sub === "generate") {
      keysGenerate(output, json);
      return 0;
    }
    const flags: Record<string, string> = {};
    for (const flag of CONFIG_FLAGS) {
      const value = values[flag as keyof typeof values];
      if (typeof value === "string") flags[flag] = value;
      if (value === true) flags[flag] = "true";
    }
    // Before the configuration is loaded: a bad setting is one of the things it reports.
    if (group === "doctor" && sub === undefined) return await doctor(env, flags, output, json);
    const config = loadConfig(env, flags);
    if (group === "serve") {
      const logger = createLogger(config.logLevel);
      await serve(config, logger, (text) => output.out(text));
      return 0;
    }
    const key = sub === undefined ? group : `${group} ${sub}`;
    const command = COMMANDS[key] ?? (group === "migrate" ? COMMANDS.migrate : undefined);
    if (!command) throw new UsageError(`unknown command "${positionals.join(" ")}"`);
    const positionalArgs = group === "migrate" ? positionals.slice(1) : rest;
    // Results go to stdout (clean for --json); warnings of the machinery go to stderr.
    const logger: Logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, {
      write: (line: string) => output.err(line),
    });
    return await runWith(config, logger, async (runtime) => {
      const code = await command({ runtime, output, json, positionals: positionalArgs, options: values });
      return typeof code === "number" ? code : 0;
    });
  } catch (error) {
    return reportError(error, output, json);
  }
}

async function runWith(
  config: ServerConfig,
  logger: Logger,
  body: (runtime: Awaited<ReturnType<typeof openRuntime>>) => Promise<number>,
): Promise<number> {
  const runtime = await openRuntime(config, logger);
  try {
    return await body(runtime);
  } finally {
    await runtime.close();
  }
}

async function migrateCommand({ runtime, output, json }: CommandContext): Promise<void> {
  // Opening the runtime applied them; report what it did.
  const applied = runtime.store.appliedOnOpen;
  emit(
    output,
    json,
    { database: runtime.store.location, engine: runtime.store.engine, newly_applied: applied },
    `Database ${runtime.store.location} (${runtime.store.engine}) is up to date.`,
  );
}

function reportError(error: unknown, output: Output, json: boolean): number {
  const badConfig = error instanceof ConfigError || error instanceof ProvidersFileError;
  const usage = badConfig || error instanceof UsageError || isParseArgsError(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = badConfig ? "invalid_config" : usage ? "usage" : "failed";
  if (json) output.err(`${JSON.stringify({ error: { code, message } })}\n`);
  else
    output.err(
      `grantvault-server: ${message}${usage ? "\nRun `grantvault-server --help` for usage." : ""}\n`,
    );
  return usage ? 2 : 1;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? "";
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
