import { readFile } from "node:fs/promises";
import { ApiKeyManagement } from "../apps/api-key-management.js";
import { AppSettings } from "../apps/app-settings.js";
import { AuditLog } from "../audit/audit-log.js";
import { systemClock } from "../clock.js";
import { AppAdmin } from "../control/app-admin.js";
import { ConfigEvents } from "../control/config-events.js";
import { IdentityProviderAdmin } from "../control/identity-provider-admin.js";
import { ProviderAdmin } from "../control/provider-admin.js";
import { VaultError } from "../errors.js";
import type { CommandContext } from "./app-commands.js";
import { printable, UsageError } from "./output.js";

/**
 * The control-plane services the operator's commands use: the same as the admin API's, on the
 * database in this process. A change is published (PostgreSQL NOTIFY) to the running servers.
 */
export function controlServices({ runtime, config }: Pick<CommandContext, "runtime" | "config">) {
  const { store, keys } = runtime;
  const audit = new AuditLog(store, systemClock, keys);
  const events = new ConfigEvents(store.pubsub);
  const deps = { store, keys, audit, events, clock: systemClock, publicUrl: config.publicUrl };
  return {
    apps: new AppAdmin({
      store,
      audit,
      events,
      clock: systemClock,
      apiKeys: ApiKeyManagement.forStore(store, systemClock, keys),
      settings: new AppSettings({ store, audit }),
    }),
    providers: new ProviderAdmin(deps),
    identity: new IdentityProviderAdmin(deps),
  };
}

/**
 * Runs a service call; a refusal of the input (every problem listed) becomes a usage error (exit
 * code 2), a missing app or provider the error it is.
 */
export async function explained<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof VaultError && error.code === "invalid_request") {
      const issues = error.issues ?? [];
      throw new UsageError(
        issues.length > 0
          ? `invalid input:\n${issues.map((issue) => `  - ${issue.path || "(document)"}: ${printable(issue.message)}`).join("\n")}`
          : error.message,
      );
    }
    throw error;
  }
}

/**
 * The app `--app` names (an id or a name); without it, the only app there is. Several apps and no
 * `--app`: a usage error naming them.
 */
export async function chosenApp({ runtime, options }: Pick<CommandContext, "runtime" | "options">) {
  const ref = typeof options.app === "string" ? options.app : undefined;
  const apps = await runtime.store.apps.list();
  const names = apps.map((app) => `${printable(app.name)} (${app.id})`).join(", ");
  if (ref === undefined) {
    if (apps.length === 1 && apps[0]) return apps[0];
    throw new UsageError(
      apps.length === 0
        ? "there is no app yet: create one with `grantvault-server apps create --name NAME`"
        : `name the app with --app APP (an id or a name); the apps: ${names}`,
    );
  }
  const app = await runtime.store.apps.find(ref);
  if (app) return app;
  throw new UsageError(
    `--app: there is no app named or with the id "${printable(ref)}"${apps.length > 0 ? ` (apps: ${names})` : ""}`,
  );
}

/** The app operand of the `apps …` commands, by id or name. */
export async function appOperand(runtime: CommandContext["runtime"], ref: string | undefined) {
  if (!ref) throw new UsageError("name the APP (an id or a name; see `grantvault-server apps list`)");
  const app = await runtime.store.apps.find(ref);
  if (!app) throw new UsageError(`there is no app ${printable(ref)} (see \`grantvault-server apps list\`)`);
  return app;
}

/**
 * The document a command was given: `--file DOC.json` or `--document '{…}'`, plus the client
 * secret from `--client-secret-env VAR` or `--client-secret-stdin`, so it never has to be on the
 * command line (where other users can read it in the process list).
 */
export async function documentInput(
  context: Pick<CommandContext, "options" | "env">,
  options: { required: boolean; readStdin?: () => Promise<string> },
): Promise<Record<string, unknown> | undefined> {
  const { file, document } = context.options;
  if (typeof file === "string" && typeof document === "string") {
    throw new UsageError("give the document with --file or --document, not both");
  }
  let text: string | undefined;
  if (typeof file === "string") {
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      throw new UsageError(`--file ${printable(file)}: ${(error as Error).message}`);
    }
  } else if (typeof document === "string") text = document;
  let parsed: Record<string, unknown> | undefined;
  if (text !== undefined) {
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`the document is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsageError("the document must be a JSON object");
    }
    if (typeof document === "string" && "clientSecret" in parsed) {
      throw new UsageError(
        "--document holds a clientSecret, and a command line is visible to other users (ps) and kept in shell history: leave it out and give it with --client-secret-env VAR or --client-secret-stdin (or put the document in a --file readable by you only)",
      );
    }
  }
  const secret = await clientSecret(context, options.readStdin ?? readStdin);
  if (secret !== undefined) parsed = { ...parsed, clientSecret: secret };
  if (parsed === undefined && options.required) {
    throw new UsageError("give the document with --file DOC.json or --document '{…}'");
  }
  return parsed;
}

async function clientSecret(
  { options, env }: Pick<CommandContext, "options" | "env">,
  stdin: () => Promise<string>,
): Promise<string | undefined> {
  const variable = options["client-secret-env"];
  if (typeof variable === "string" && options["client-secret-stdin"] === true) {
    throw new UsageError("use --client-secret-env or --client-secret-stdin, not both");
  }
  if (typeof variable === "string") {
    const value = env[variable];
    if (!value) throw new UsageError(`--client-secret-env: the variable ${printable(variable)} is not set`);
    return value;
  }
  if (options["client-secret-stdin"] === true) {
    const value = (await stdin()).replace(/\r?\n$/, "");
    if (!value) throw new UsageError("--client-secret-stdin: nothing was read from standard input");
    return value;
  }
  return undefined;
}

async function readStdin(): Promise<string> {
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
