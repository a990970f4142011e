import { OPERATOR } from "../apps/admin-actor.js";
import { appBody } from "../http/admin-bodies.js";
import type { CommandContext } from "./app-commands.js";
import { appOperand, controlServices, explained } from "./control-services.js";
import { emit, isoTime, printable, table, UsageError } from "./output.js";

/*
 * `apps …`: the operator's side of the admin API's apps (issue 15), through the same service
 * (AppAdmin): validated, audited in the app's chain, published to the running servers.
 */

/** `apps create --name NAME [--allowed-origin ORIGIN]…`: the new app and its first API key, printed once. */
export async function appsCreate(context: CommandContext): Promise<void> {
  const { output, json, options } = context;
  const name = typeof options.name === "string" ? options.name.trim() : "";
  if (!name) throw new UsageError("apps create needs --name NAME");
  const origins = options["allowed-origin"];
  const { app, apiKey } = await explained(
    controlServices(context).apps.create(OPERATOR, {
      name,
      ...(Array.isArray(origins) ? { allowed_origins: origins } : {}),
    }),
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

export async function appsList(context: CommandContext): Promise<void> {
  const { output, json } = context;
  const apps = await controlServices(context).apps.list();
  emit(
    output,
    json,
    apps.map((app) => appBody(app)),
    apps.length === 0
      ? "No apps yet: create one with `grantvault-server apps create --name NAME`."
      : table([
          ["APP ID", "NAME", "STATUS", "CREATED", "ALLOWED ORIGINS"],
          ...apps.map((app) => [
            app.id,
            app.name,
            app.enabled ? "enabled" : "disabled",
            isoTime(app.createdAt),
            app.allowedOrigins.join(" ") || "-",
          ]),
        ]),
  );
}

/** `apps show APP`: the app, its settings, and how many keys, providers and grants it has. */
export async function appsShow(context: CommandContext): Promise<void> {
  const { runtime, output, json, positionals } = context;
  const app = await appOperand(runtime, positionals[0]);
  const view = await controlServices(context).apps.get(app.id);
  const [keys, providers, grants, identity] = await Promise.all([
    runtime.store.apiKeys.countActive(app.id),
    runtime.store.providers.listForApp(app.id),
    runtime.store.grants.countForApp(app.id),
    runtime.store.identityProviders.get(app.id),
  ]);
  emit(
    output,
    json,
    {
      ...appBody(view),
      active_api_keys: keys,
      providers: providers.map((provider) => provider.providerId),
      grants,
      identity_provider: identity !== null,
    },
    [
      `${view.name} (${view.id})`,
      `  status:           ${view.enabled ? "enabled" : "disabled (its API keys are refused)"}`,
      `  created:          ${isoTime(view.createdAt)}`,
      `  allowed origins:  ${view.allowedOrigins.join(" ") || "none"}`,
      `  user grants need the user's token: ${view.userGrantsNeedUserToken ? "yes" : "no"}`,
      `  active API keys:  ${keys}`,
      `  providers:        ${providers.map((provider) => `${provider.providerId}${provider.enabled ? "" : " (disabled)"}`).join(", ") || "none"}`,
      `  identity provider: ${identity ? (identity.enabled ? "set" : "set, disabled") : "none"}`,
      `  grants:           ${grants}`,
    ].join("\n"),
  );
}

/**
 * `apps update APP [--name NAME] [--allowed-origins LIST] [--[no-]user-grants-need-user-token]`:
 * the fields given change; `--allowed-origins ""` empties the list.
 */
export async function appsUpdate(context: CommandContext): Promise<void> {
  const { runtime, output, json, positionals, options } = context;
  const app = await appOperand(runtime, positionals[0]);
  const patch: Record<string, unknown> = {};
  if (typeof options.name === "string") patch.name = options.name;
  if (typeof options["allowed-origins"] === "string") {
    patch.allowed_origins = options["allowed-origins"]
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean);
  }
  const userToken = options["user-grants-need-user-token"];
  if (typeof userToken === "boolean") patch.user_grants_need_user_token = userToken;
  if (Object.keys(patch).length === 0) {
    throw new UsageError(
      "apps update needs something to change: --name, --allowed-origins or --[no-]user-grants-need-user-token",
    );
  }
  const view = await explained(controlServices(context).apps.update(OPERATOR, app.id, patch));
  emit(output, json, appBody(view), `Updated ${view.name} (${view.id}).`);
}

/** `apps disable APP` / `apps enable APP`: a disabled app's API keys are refused (`app_disabled`). */
export async function appsDisable(context: CommandContext): Promise<void> {
  await setEnabled(context, false);
}

export async function appsEnable(context: CommandContext): Promise<void> {
  await setEnabled(context, true);
}

async function setEnabled(context: CommandContext, enabled: boolean): Promise<void> {
  const { runtime, output, json, positionals } = context;
  const app = await appOperand(runtime, positionals[0]);
  const view = await controlServices(context).apps.setEnabled(OPERATOR, app.id, enabled);
  emit(
    output,
    json,
    appBody(view),
    enabled
      ? `${view.name} (${view.id}) is enabled: its API keys work again.`
      : `${view.name} (${view.id}) is disabled: its API keys are refused until \`grantvault-server apps enable\`.`,
  );
}

/**
 * `apps delete APP --yes`: the app with its keys, grants (their tokens deleted), sessions and
 * providers; its audit chain stays. Asks for --yes: there is no undo.
 */
export async function appsDelete(context: CommandContext): Promise<void> {
  const { runtime, output, json, positionals, options } = context;
  const app = await appOperand(runtime, positionals[0]);
  if (options.yes !== true) {
    throw new UsageError(
      `apps delete removes ${printable(app.name)} (${app.id}) with its API keys, grants and providers, for good; run it again with --yes`,
    );
  }
  await controlServices(context).apps.delete(OPERATOR, app.id);
  emit(
    output,
    json,
    { app_id: app.id, deleted: true },
    `Deleted ${app.name} (${app.id}) with its API keys, grants and providers; its audit log stays.`,
  );
}

/**
 * `apps allow-origin APP ORIGIN` / `apps disallow-origin APP ORIGIN`: the origins an app's web
 * flows may use (Connect.js popups report to them; redirect flows return to them).
 */
export async function appsAllowOrigin(context: CommandContext): Promise<void> {
  await changeOrigins(context, "allow");
}

export async function appsDisallowOrigin(context: CommandContext): Promise<void> {
  await changeOrigins(context, "disallow");
}

async function changeOrigins(context: CommandContext, change: "allow" | "disallow"): Promise<void> {
  const { runtime, output, json, positionals } = context;
  const [appRef, origin] = positionals;
  if (!appRef || !origin) {
    throw new UsageError(`apps ${change}-origin needs APP and ORIGIN, e.g. default https://app.example.com`);
  }
  const app = await appOperand(runtime, appRef);
  const { apps } = controlServices(context);
  const view = await explained(
    change === "allow"
      ? apps.allowOrigin(OPERATOR, app.id, origin)
      : apps.disallowOrigin(OPERATOR, app.id, origin),
  );
  const origins = view.allowedOrigins;
  emit(
    output,
    json,
    { app_id: view.id, allowed_origins: origins },
    `${view.name} (${view.id}) allowed origins: ${origins.length > 0 ? origins.join(", ") : "none"}`,
  );
}
