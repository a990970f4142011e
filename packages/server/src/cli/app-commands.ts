import { WebOrigin } from "@grantvault/protocol";
import { ApiKeyManagement } from "../apps/api-key-management.js";
import { AppSettings } from "../apps/app-settings.js";
import { systemClock } from "../clock.js";
import type { Runtime } from "../runtime.js";
import { emit, isoTime, type Output, printable, table, UsageError } from "./output.js";

export interface CommandContext {
  runtime: Runtime;
  output: Output;
  json: boolean;
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
}

/** `apps create --name NAME`: the new app and its first API key, printed once. */
export async function appsCreate({ runtime, output, json, options }: CommandContext): Promise<void> {
  const name = typeof options.name === "string" ? options.name.trim() : "";
  if (!name) throw new UsageError("apps create needs --name NAME");
  const { app, apiKey } = await ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys).createApp(
    name,
  );
  emit(
    output,
    json,
    { app_id: app.id, name: app.name, api_key: apiKey.plaintext, api_key_id: apiKey.key.id },
    [
      `Created app "${app.name}" (${app.id}).`,
      "Its API key, shown only this once:",
      "",
      `  ${apiKey.plaintext}`,
    ].join("\n"),
  );
}

export async function appsList({ runtime, output, json }: CommandContext): Promise<void> {
  const apps = await runtime.store.apps.list();
  emit(
    output,
    json,
    apps.map((app) => ({
      app_id: app.id,
      name: app.name,
      created_at: isoTime(app.createdAt),
      allowed_origins: app.allowedOrigins,
    })),
    apps.length === 0
      ? "No apps yet: create one with `grantvault-server apps create --name NAME`."
      : table([
          ["APP ID", "NAME", "CREATED", "ALLOWED ORIGINS"],
          ...apps.map((app) => [
            app.id,
            app.name,
            isoTime(app.createdAt),
            app.allowedOrigins.join(" ") || "-",
          ]),
        ]),
  );
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
 * `apps allow-origin APP ORIGIN` / `apps disallow-origin APP ORIGIN`: the origins an app's web
 * flows may use (Connect.js popups report to them; redirect flows return to them). APP is an id
 * or a name.
 */
export async function appsAllowOrigin(context: CommandContext): Promise<void> {
  await changeOrigins(context, "allow");
}

export async function appsDisallowOrigin(context: CommandContext): Promise<void> {
  await changeOrigins(context, "disallow");
}

async function changeOrigins(
  { runtime, output, json, positionals }: CommandContext,
  change: "allow" | "disallow",
): Promise<void> {
  const [appRef, origin] = positionals;
  if (!appRef || !origin) {
    throw new UsageError(`apps ${change}-origin needs APP and ORIGIN, e.g. default https://app.example.com`);
  }
  const parsed = WebOrigin.safeParse(origin);
  if (!parsed.success)
    throw new UsageError(`${origin}: ${parsed.error.issues[0]?.message ?? "not an origin"}`);
  const app = await runtime.store.apps.find(appRef);
  if (!app) throw new UsageError(`there is no app ${appRef} (see \`grantvault-server apps list\`)`);
  const origins =
    change === "allow"
      ? [...new Set([...app.allowedOrigins, origin])]
      : app.allowedOrigins.filter((allowed) => allowed !== origin);
  await runtime.store.apps.setAllowedOrigins(app.id, origins);
  emit(
    output,
    json,
    { app_id: app.id, allowed_origins: origins },
    `${app.name} (${app.id}) allowed origins: ${origins.length > 0 ? origins.join(", ") : "none"}`,
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
