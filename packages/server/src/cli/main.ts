import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { LOCAL_DATA_DIR } from "@grantvault/protocol";
import {
  type CliSpec,
  CommandLineError,
  type CommandSpec,
  commandHelp,
  groupHelp,
  type OptionSpec,
  parseCommandLine,
  usageErrorText,
  wantsJson,
} from "@grantvault/protocol/cli-args";
import { ConfigError, loadConfig, SETTINGS, type ServerConfig } from "../config.js";
import { createLogger, type Logger } from "../logger.js";
import { ProvidersFileError } from "../providers/providers-file.js";
import { openDataDir, openRuntime } from "../runtime.js";
import { serve } from "../serve.js";
import { isPostgresUrl } from "../storage/database.js";
import {
  apiKeysCreate,
  apiKeysDelete,
  apiKeysDisable,
  apiKeysEnable,
  apiKeysList,
  apiKeysShow,
  apiKeysUpdate,
  operatorKeysCreate,
  operatorKeysList,
  operatorKeysRevoke,
} from "./api-key-commands.js";
import { appsAllowGrantUseWithoutUser, appsRequireUserToken, type CommandContext } from "./app-commands.js";
import { appsAllowOrigin, appsCreate, appsDisallowOrigin, appsList } from "./apps-commands.js";
import { auditCheckpoints, auditVerify } from "./audit-commands.js";
import { CONTROL_PLANE_COMMANDS, CONTROL_PLANE_HANDLERS } from "./control-plane-cli.js";
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
  ...CONTROL_PLANE_HANDLERS,
  "api-keys create": apiKeysCreate,
  "api-keys list": apiKeysList,
  "api-keys show": apiKeysShow,
  "api-keys update": apiKeysUpdate,
  "api-keys disable": apiKeysDisable,
  "api-keys enable": apiKeysEnable,
  "api-keys delete": apiKeysDelete,
  "api-keys revoke": apiKeysDelete,
  // The names from before issue 15, kept working.
  "keys create": apiKeysCreate,
  "keys list": apiKeysList,
  "keys revoke": apiKeysDelete,
  "operator-keys create": operatorKeysCreate,
  "operator-keys list": operatorKeysList,
  "operator-keys revoke": operatorKeysRevoke,
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
    [--allowed-origin ORIGIN]…
  apps list                      list apps
  apps show APP                  an app: status, origins, keys, providers, grants
  apps update APP [--name NAME] [--allowed-origins LIST] [--[no-]user-grants-need-user-token]
                                 change an app (audited)
  apps disable APP               refuse the app's API keys (app_disabled) until enabled
  apps enable APP                accept them again
  apps delete APP --yes          delete an app with its keys, grants and providers (the
                                 audit log stays)
  apps allow-origin APP ORIGIN   let APP's web flows use ORIGIN (Connect.js popup, return URLs)
  apps disallow-origin APP ORIGIN  take that back
  apps allow-grant-use-without-user APP
                                 let APP use its user-bound grants without the user's token
                                 (audited; the default requires it)
  apps require-user-token APP    back to the default: a user-bound grant needs its user's token
  providers import FILE [--app APP]
                                 bring the app's providers in line with a providers file
                                 (idempotent: prints created/updated/unchanged)
  providers list [--app APP]     the app's providers (--app optional with one app only)
  providers show ID              a provider's document (never its secret), redirect URI
  providers create --file DOC.json | --document JSON
    [--client-secret-env VAR | --client-secret-stdin]
                                 add a provider (catalog, oidc or oauth2) to the app
  providers update ID --file … | --document … [--replace] [--client-secret-…]
                                 change the fields given (null removes one); --replace: whole
  providers disable ID / enable ID  stop / resume offering it (its grants are refused meanwhile)
  providers delete ID            delete it (its grants stay, refused)
  identity-provider show|set|delete [--app APP]
                                 the app's sign-in provider; set takes --file/--document and
                                 --client-secret-env VAR / --client-secret-stdin
  api-keys create --app APP      create another API key for an app (printed once); all scopes
    [--name NAME] [--scopes LIST | --proxy-only] [--expires-in 30d]
                                 unless narrowed: admin,connect,use,proxy,read (see README)
  api-keys list [--app APP]      list API keys (prefixes only)
  api-keys show KEY_ID           one key's scopes, status, expiry, last use
  api-keys update KEY_ID [--name NAME] [--scopes LIST | --proxy-only]
    [--expires-in 30d | --no-expiry]   change a key (audited)
  api-keys disable KEY_ID        refuse a key until enabled again (api-keys enable KEY_ID)
  api-keys delete KEY_ID         revoke an API key for good, effective immediately
                                 (keys create|list|revoke: the same as api-keys create|list|delete)
  operator-keys create [--name NAME] [--expires-in 30d]
                                 a vault-wide key for the admin API (/v1/apps…), printed once
  operator-keys list             list operator keys (prefixes only)
  operator-keys revoke KEY_ID    revoke an operator key, effective immediately
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
  --version                      print the version
${Object.values(SETTINGS)
  .flatMap((setting) => {
    if (!("flag" in setting)) return [];
    const label = `--${setting.flag}${"boolean" in setting ? "" : " VALUE"}`;
    // A label too long for the column still gets a space before its description.
    return [`  ${label.padEnd(31)}${label.length >= 31 ? " " : ""}${setting.description} [${setting.env}]`];
  })
  .join("\n")}

Run \`grantvault-server <command> --help\` for one command's usage.

GRANTVAULT_MASTER_KEY is read from the environment only. See the README for every setting.
`;

/** The settings as options: every command that opens the database takes them. */
const SETTING_OPTIONS: Record<string, OptionSpec> = Object.fromEntries(
  Object.values(SETTINGS).flatMap((setting) =>
    "flag" in setting
      ? [
          [
            setting.flag,
            {
              type: "boolean" in setting ? "boolean" : "string",
              description: `${setting.description} [${setting.env}]`,
            } satisfies OptionSpec,
          ],
        ]
      : [],
  ),
);
const HIDDEN_SETTINGS: Record<string, OptionSpec> = Object.fromEntries(
  Object.entries(SETTING_OPTIONS).map(([name, option]) => [name, { ...option, hidden: true }]),
);
const SETTINGS_FOOTER =
  "It also takes the settings (--data-dir, --database-url…): see `grantvault-server serve --help`.";

const APP_ID = { type: "string", value: "APP" } as const;
const APP = { name: "APP", hint: "an app id or name; see `grantvault-server apps list`" };

const NAME_OPTION: OptionSpec = { type: "string", value: "NAME", description: "a name for the key" };
const EXPIRES_IN: OptionSpec = {
  type: "string",
  value: "DURATION",
  description: "refused after this long: a number and s, m, h, d or w (e.g. 30d)",
};
const SCOPE_OPTIONS: Record<string, OptionSpec> = {
  scopes: {
    type: "string",
    value: "LIST",
    description:
      "some of admin,connect,use,proxy,read (admin: control plane; connect: sessions; use: tokens and proxy; proxy: proxy only; read: grants and audit)",
  },
  "proxy-only": { type: "boolean", description: "only the proxy scope (for agents)" },
};

/** `api-keys …`; `keys create|list|revoke` are the same commands under their older names. */
function apiKeyCommandSpecs(group: "api-keys" | "keys"): CommandSpec[] {
  const keyId = [{ name: "KEY_ID", hint: `see \`grantvault-server ${group} list\`` }];
  return [
    withDatabase({
      name: `${group} create`,
      summary: "create another API key for an app (printed once); all scopes unless narrowed",
      options: {
        app: {
          ...APP_ID,
          description: "the app, by name or id (required; see `grantvault-server apps list`)",
        },
        name: NAME_OPTION,
        ...SCOPE_OPTIONS,
        "expires-in": EXPIRES_IN,
      },
    }),
    withDatabase({
      name: `${group} list`,
      summary: "list API keys (prefixes only)",
      options: { app: { ...APP_ID, description: "only this app's keys" } },
    }),
    withDatabase({ name: `${group} show`, summary: "one API key (prefix only)", operands: keyId }),
    withDatabase({
      name: `${group} update`,
      summary: "change an API key's name, scopes or expiry (audited)",
      operands: keyId,
      options: {
        name: NAME_OPTION,
        ...SCOPE_OPTIONS,
        "expires-in": EXPIRES_IN,
        "no-expiry": { type: "boolean", description: "the key no longer expires" },
      },
    }),
    withDatabase({
      name: `${group} disable`,
      summary: "refuse an API key until enabled again",
      operands: keyId,
    }),
    withDatabase({ name: `${group} enable`, summary: "accept a disabled API key again", operands: keyId }),
    withDatabase({
      name: `${group} delete`,
      summary: "revoke an API key for good, effective immediately",
      operands: keyId,
    }),
    withDatabase({
      name: `${group} revoke`,
      summary: "revoke an API key, effective immediately",
      operands: keyId,
    }),
  ];
}

/** A command that opens the database (with the settings as options). */
function withDatabase(command: CommandSpec): CommandSpec {
  return { ...command, options: { ...command.options, ...HIDDEN_SETTINGS }, footer: SETTINGS_FOOTER };
}

const CLI: CliSpec = {
  program: "grantvault-server",
  defaultCommand: "serve",
  common: {
    json: { type: "boolean", description: "machine-readable output" },
    help: { type: "boolean", short: "h", description: "show this help" },
    version: { type: "boolean", description: "print the version" },
  },
  commands: [
    {
      name: "serve",
      summary: "run the vault (the default command)",
      options: SETTING_OPTIONS,
      footer: "GRANTVAULT_MASTER_KEY is read from the environment only. See the README for every setting.",
    },
    withDatabase({ name: "migrate", summary: "apply pending database migrations and exit" }),
    {
      name: "doctor",
      summary:
        "check settings, data directory, database, key ring and providers (discovery reachable); say what to fix; exit 1 if anything fails. Changes nothing.",
      options: SETTING_OPTIONS,
    },
    withDatabase({
      name: "apps create",
      summary: "create an app and print its first API key (once)",
      options: {
        name: { type: "string", value: "NAME", description: "the app's name (required)" },
        "allowed-origin": {
          type: "string",
          multiple: true,
          value: "ORIGIN",
          description: "an origin its web flows may use (repeatable)",
        },
      },
    }),
    withDatabase({ name: "apps list", summary: "list apps" }),
    withDatabase({
      name: "apps allow-origin",
      summary: "let APP's web flows use ORIGIN (Connect.js popup, return URLs)",
      operands: [APP, { name: "ORIGIN", hint: "e.g. https://app.example.com" }],
    }),
    withDatabase({
      name: "apps disallow-origin",
      summary: "take back apps allow-origin",
      operands: [APP, { name: "ORIGIN" }],
    }),
    withDatabase({
      name: "apps allow-grant-use-without-user",
      summary:
        "let APP use its user-bound grants without the user's token (audited; the default requires it)",
      operands: [APP],
    }),
    withDatabase({
      name: "apps require-user-token",
      summary: "back to the default: a user-bound grant needs its user's token",
      operands: [APP],
    }),
    ...CONTROL_PLANE_COMMANDS.map(withDatabase),
    ...apiKeyCommandSpecs("api-keys"),
    ...apiKeyCommandSpecs("keys").filter((spec) =>
      ["keys create", "keys list", "keys revoke"].includes(spec.name),
    ),
    withDatabase({
      name: "operator-keys create",
      summary: "create a vault-wide key for the admin API (/v1/apps…), printed once",
      options: { name: NAME_OPTION, "expires-in": EXPIRES_IN },
    }),
    withDatabase({ name: "operator-keys list", summary: "list operator keys (prefixes only)" }),
    withDatabase({
      name: "operator-keys revoke",
      summary: "revoke an operator key, effective immediately",
      operands: [{ name: "KEY_ID", hint: "see `grantvault-server operator-keys list`" }],
    }),
    withDatabase({
      name: "keys rotate",
      summary: "add a new encryption key and re-encrypt every stored secret",
    }),
    withDatabase({
      name: "keys status",
      summary: "show encryption keys and how many secrets each protects",
    }),
    withDatabase({
      name: "keys drop",
      summary: "remove an unused old encryption key from the key file",
      operands: [{ name: "KEY_ID", hint: "see `grantvault-server keys status`" }],
    }),
    { name: "keys generate", summary: "print a new encryption key entry for GRANTVAULT_MASTER_KEY" },
    withDatabase({
      name: "audit verify",
      summary: "check the audit log's keyed hash chains; exit 1 if a row was altered or deleted",
      options: {
        app: { ...APP_ID, description: "only this app's chain" },
        checkpoints: {
          type: "string",
          value: "FILE",
          description: "checkpoints exported before (by audit checkpoints --out)",
        },
      },
    }),
    withDatabase({
      name: "audit checkpoints",
      summary:
        "sign each verified chain's tip, record it, print it as JSON lines (or append them to FILE, kept outside the database)",
      options: {
        app: { ...APP_ID, description: "only this app's chain" },
        out: { type: "string", value: "FILE", description: "append the checkpoints to FILE" },
        "adopt-legacy": {
          type: "boolean",
          description: "once after upgrading: sign chains ending in rows without MAC",
        },
      },
    }),
  ],
};

/** The version in this package's package.json: two levels up from src/cli and from dist/cli alike. */
const VERSION: string = createRequire(import.meta.url)("../../package.json").version;

/** Runs the CLI; resolves with the process exit code (serve keeps running and resolves at once). */
export async function main(
  argv: string[],
  env: Record<string, string | undefined>,
  output: Output = processOutput,
): Promise<number> {
  let json = wantsJson(argv);
  let help = `${CLI.program} --help`;
  try {
    const parsed = parseCommandLine(CLI, argv);
    json = parsed.json;
    if (parsed.kind === "help") {
      const { topic } = parsed;
      output.out(
        topic === null ? USAGE : typeof topic === "string" ? groupHelp(CLI, topic) : commandHelp(CLI, topic),
      );
      return 0;
    }
    if (parsed.kind === "version") {
      emit(output, json, { version: VERSION }, `grantvault-server ${VERSION}`);
      return 0;
    }
    if (parsed.kind === "none") throw new Error("grantvault-server always has a command");
    const { command, operands, values } = parsed;
    help = `${CLI.program} ${command.name} --help`;
    if (command.name === "keys generate") {
      keysGenerate(output, json);
      return 0;
    }
    const flags: Record<string, string> = {};
    for (const flag of Object.keys(SETTING_OPTIONS)) {
      const value = values[flag];
      if (typeof value === "string") flags[flag] = value;
      if (typeof value === "boolean") flags[flag] = String(value);
    }
    // Before the configuration is loaded: a bad setting is one of the things it reports.
    if (command.name === "doctor") return await doctor(env, flags, output, json);
    const config = loadConfig(env, flags);
    if (command.name === "serve") {
      const logger = createLogger(config.logLevel);
      await serve(config, logger, (text) => output.out(text), {
        requestLogLevel: requestLogLevel(env, flags),
      });
      return 0;
    }
    const run = COMMANDS[command.name];
    if (!run) throw new Error(`no handler for ${command.name}`);
    // Results go to stdout (clean for --json); warnings of the machinery go to stderr.
    const logger: Logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, {
      write: (line: string) => output.err(line),
    });
    const options = values as CommandContext["options"];
    // An existing data directory that others can enter is refused first, whatever the command (F20d).
    if (existsSync(config.dataDir)) await openDataDir(config.dataDir);
    if (!createsVault(command.name, config)) checkVaultExists(config);
    if (config.dataDirSource === "found" && config.dataDir !== resolve(LOCAL_DATA_DIR)) {
      output.err(`grantvault-server: using the vault in ${config.dataDir}\n`);
    }
    return await runWith(config, logger, async (runtime) => {
      const code = await run({ runtime, config, env, output, json, positionals: operands, options });
      return typeof code === "number" ? code : 0;
    });
  } catch (error) {
    return reportError(error, output, json, help);
  }
}

/**
 * Each request's two lines (received, answered) would scroll the banner and its one-time API key
 * away: they are debug lines unless the operator chose a log level, so `--log-level info` (or
 * GRANTVAULT_LOG_LEVEL=info) brings them back.
 */
function requestLogLevel(
  env: Record<string, string | undefined>,
  flags: Record<string, string>,
): "info" | "debug" {
  return flags[SETTINGS.logLevel.flag] !== undefined || env[SETTINGS.logLevel.env] !== undefined
    ? "info"
    : "debug";
}

/**
 * `migrate` sets a database up, and `apps create` may start a vault whose place was given
 * (--data-dir, --database-url or their variables). Every other command works on a vault that
 * exists: run in the wrong folder, it would otherwise create an empty one (with a new master key)
 * and answer from that.
 */
function createsVault(command: string, config: ServerConfig): boolean {
  return command === "migrate" || (command === "apps create" && config.dataDirSource === "setting");
}

function checkVaultExists(config: ServerConfig): void {
  if (isPostgresUrl(config.databaseUrl) || existsSync(config.databaseUrl)) return;
  const where =
    config.dataDirSource === "default"
      ? `no ${LOCAL_DATA_DIR} folder in ${process.cwd()} or any folder above it`
      : `no database at ${config.databaseUrl}`;
  throw new UsageError(
    `there is no vault here: ${where}. Run this inside the folder where the vault was started (\`npm start\` or \`grantvault-server serve\`), or point --data-dir (GRANTVAULT_DATA_DIR) or --database-url at it`,
  );
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

function reportError(error: unknown, output: Output, json: boolean, help: string): number {
  if (error instanceof CommandLineError || error instanceof UsageError) {
    output.err(
      usageErrorText(
        CLI.program,
        error instanceof CommandLineError ? error : new CommandLineError(error.message, help),
        json,
      ),
    );
    return 2;
  }
  const badConfig = error instanceof ConfigError || error instanceof ProvidersFileError;
  const message = error instanceof Error ? error.message : String(error);
  const code = badConfig ? "invalid_config" : "failed";
  if (json) output.err(`${JSON.stringify({ error: { code, message } })}\n`);
  else output.err(`grantvault-server: ${message}${badConfig ? `\nRun \`${help}\` for usage.` : ""}\n`);
  return badConfig ? 2 : 1;
}
