import { API_KEY_SCOPES, type ApiKeyScope, type IdKind, idProblem } from "@grantvault/protocol";
import { ApiKeyManagement, OPERATOR } from "../apps/api-key-management.js";
import { AppSettings } from "../apps/app-settings.js";
import { systemClock } from "../clock.js";
import type { ServerConfig } from "../config.js";
import type { Runtime } from "../runtime.js";
import { emit, isoTime, type Output, printable, table, UsageError } from "./output.js";

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
 * `keys create --app APP [--name NAME] [--proxy-only | --scopes LIST]`: another API key for an
 * app, printed once; all scopes unless narrowed.
 */
export async function keysCreate({ runtime, output, json, options }: CommandContext): Promise<void> {
  const appId = await appOption(runtime, options);
  if (!appId)
    throw new UsageError(
      "keys create needs --app APP (an app's name or id; see `grantvault-server apps list`)",
    );
  const name = typeof options.name === "string" ? options.name : null;
  const scopes = requestedScopes(options);
  const management = ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys);
  const { key, plaintext } = await management.create(OPERATOR, appId, { name, scopes });
  emit(
    output,
    json,
    { app_id: appId, api_key_id: key.id, api_key: plaintext, prefix: key.prefix, scopes: key.scopes },
    [
      `Created API key ${key.id} for ${appId} (scopes: ${scopeList(key.scopes)}). Shown only this once:`,
      "",
      `  ${plaintext}`,
    ].join("\n"),
  );
}

function requestedScopes(options: CommandContext["options"]): ApiKeyScope[] | undefined {
  if (options["proxy-only"] === true) {
    if (typeof options.scopes === "string") throw new UsageError("use --proxy-only or --scopes, not both");
    return [];
  }
  if (typeof options.scopes !== "string") return undefined;
  const names = options.scopes
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(API_KEY_SCOPES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new UsageError(`unknown scope ${unknown.join(", ")}: the scopes are ${API_KEY_SCOPES.join(", ")}`);
  }
  return names as ApiKeyScope[];
}

/** A malformed id is a usage mistake, said by its shape (it may be a secret pasted in the wrong place). */
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

function checkId(kind: IdKind, value: string, what: string): void {
  const problem = idProblem(kind, value);
  if (problem !== null) throw new UsageError(`${what}: ${problem}`);
}

function scopeList(scopes: readonly ApiKeyScope[]): string {
  return scopes.length === 0 ? "none, proxy mode only" : scopes.join(", ");
}

export async function keysList({ runtime, output, json, options }: CommandContext): Promise<void> {
  const appId = await appOption(runtime, options);
  const keys = await runtime.store.apiKeys.list(appId);
  const rows = keys.map((key) => ({
    api_key_id: key.id,
    app_id: key.appId,
    name: key.name,
    prefix: key.prefix,
    created_at: isoTime(key.createdAt),
    last_used_at: key.lastUsedAt === null ? null : isoTime(key.lastUsedAt),
    revoked_at: key.revokedAt === null ? null : isoTime(key.revokedAt),
    scopes: key.scopes,
    created_by: key.createdBy,
  }));
  emit(
    output,
    json,
    rows,
    table([
      ["KEY ID", "APP ID", "PREFIX", "SCOPES", "CREATED BY", "LAST USED", "STATUS"],
      ...keys.map((key) => [
        key.id,
        key.appId,
        `${key.prefix}…`,
        key.scopes.join(",") || "proxy-only",
        key.createdBy ?? "operator",
        isoTime(key.lastUsedAt),
        key.revokedAt === null ? "active" : `revoked ${isoTime(key.revokedAt)}`,
      ]),
    ]),
  );
}

/** `keys revoke KEY_ID`: effective at once, in every server process (keys are checked per request). */
export async function keysRevoke({ runtime, output, json, positionals }: CommandContext): Promise<void> {
  const [keyId] = positionals;
  if (!keyId) throw new UsageError("keys revoke needs the KEY_ID (see `grantvault-server keys list`)");
  checkId("apiKey", keyId, "KEY_ID");
  const existing = await runtime.store.apiKeys.get(keyId);
  if (!existing) throw new UsageError(`there is no API key ${keyId}`);
  const revoked =
    (await ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys).revoke(
      OPERATOR,
      existing.appId,
      keyId,
    )) === "revoked";
  emit(
    output,
    json,
    { api_key_id: keyId, revoked: true, already_revoked: !revoked },
    revoked ? `Revoked ${keyId} (${existing.prefix}…).` : `${keyId} was already revoked.`,
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
