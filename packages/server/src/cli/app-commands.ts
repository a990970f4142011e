import { AppSettings } from "../apps/app-settings.js";
import { systemClock } from "../clock.js";
import type { ServerConfig } from "../config.js";
import type { Runtime } from "../runtime.js";
import { emit, type Output, printable, UsageError } from "./output.js";

export interface CommandContext {
  runtime: Runtime;
  /** The settings the command runs with (the public URL names redirect URIs). */
  config: ServerConfig;
  /** The environment (a client secret may be read from a variable named on the command line). */
  env: Record<string, string | undefined>;
  output: Output;
  json: boolean;
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
}

/**
 * The app `--app` names, by name or id (a name is what the first start prints: `default`); its id,
 * or undefined when the option is absent.
 */
export async function appOption(
  runtime: CommandContext["runtime"],
  options: CommandContext["options"],
): Promise<string | undefined> {
  const ref = typeof options.app === "string" ? options.app : undefined;
  if (ref === undefined) return undefined;
  const app = await runtime.store.apps.find(ref);
  if (app) return app.id;
  const names = (await runtime.store.apps.list()).map((known) => known.name);
  throw new UsageError(
    `--app: there is no app named or with the id "${printable(ref)}"${names.length > 0 ? ` (apps: ${names.map((name) => printable(name)).join(", ")})` : ""}`,
  );
}

/**
 * `apps allow-grant-use-without-user APP` / `apps require-user-token APP` (F6): whether APP's
 * grants bound to a user are usable with the API key alone, or only with their user's token (the
 * default). Each change is an `app.setting_changed` event in the app's audit log.
 */
export async function appsAllowGrantUseWithoutUser(context: CommandContext): Promise<void> {
  await changeUserTokenRequirement(context, false);
}

export async function appsRequireUserToken(context: CommandContext): Promise<void> {
  await changeUserTokenRequirement(context, true);
}

async function changeUserTokenRequirement(
  { runtime, output, json, positionals }: CommandContext,
  required: boolean,
): Promise<void> {
  const command = required ? "require-user-token" : "allow-grant-use-without-user";
  const [appRef] = positionals;
  if (!appRef) throw new UsageError(`apps ${command} needs APP (an id or a name)`);
  const app = await runtime.store.apps.find(appRef);
  if (!app) throw new UsageError(`there is no app ${appRef} (see \`grantvault-server apps list\`)`);
  const changed = await AppSettings.forStore(
    runtime.store,
    systemClock,
    runtime.keys,
  ).setUserGrantsNeedUserToken(app.id, required);
  const now = required
    ? "its grants bound to a user are usable only with that user's token"
    : "its grants bound to a user are usable with the API key alone, without the user's token";
  emit(
    output,
    json,
    { app_id: app.id, user_grants_need_user_token: required, changed },
    `${app.name} (${app.id}): ${changed ? "" : "already so: "}${now}.`,
  );
}
