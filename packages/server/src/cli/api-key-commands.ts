import { API_KEY_SCOPES, type ApiKeyScope, type IdKind, idProblem } from "@grantvault/protocol";
import { ApiKeyManagement, type ApiKeyUpdate, OPERATOR } from "../apps/api-key-management.js";
import { OperatorKeyService } from "../apps/operator-keys.js";
import { systemClock } from "../clock.js";
import { type ApiKeyRecord, keyStatus } from "../storage/api-keys-repository.js";
import type { OperatorKeyRecord } from "../storage/operator-keys-repository.js";
import { appOption, type CommandContext } from "./app-commands.js";
import { durationMs } from "./duration.js";
import { emit, isoTime, printable, table, UsageError } from "./output.js";

/**
 * `api-keys …` (and the older `keys create|list|revoke`): an app's API keys, administered by the
 * operator with the same service and audit events as the HTTP API. Keys are shown once, at
 * creation; afterwards only their prefixes.
 */

function management({ runtime }: CommandContext): ApiKeyManagement {
  return ApiKeyManagement.forStore(runtime.store, systemClock, runtime.keys);
}

/** `api-keys create --app APP [--name NAME] [--scopes LIST | --proxy-only] [--expires-in 30d]`. */
export async function apiKeysCreate(context: CommandContext): Promise<void> {
  const { runtime, output, json, options } = context;
  const appId = await appOption(runtime, options);
  if (!appId)
    throw new UsageError("needs --app APP (an app's name or id; see `grantvault-server apps list`)");
  const name = typeof options.name === "string" ? options.name : null;
  const scopes = requestedScopes(options);
  const expiresAt = expiryOption(options);
  const { key, plaintext } = await management(context).create(OPERATOR, appId, { name, scopes, expiresAt });
  emit(
    output,
    json,
    {
      app_id: appId,
      api_key_id: key.id,
      api_key: plaintext,
      prefix: key.prefix,
      scopes: key.scopes,
      expires_at: key.expiresAt === null ? null : isoTime(key.expiresAt),
    },
    [
      `Created API key ${key.id} for ${appId} (scopes: ${scopeList(key.scopes)}${key.expiresAt === null ? "" : `; expires ${isoTime(key.expiresAt)}`}). Shown only this once:`,
      "",
      `  ${plaintext}`,
    ].join("\n"),
  );
}

/** `api-keys list [--app APP]`: prefixes and metadata, never a key. */
export async function apiKeysList({ runtime, output, json, options }: CommandContext): Promise<void> {
  const appId = await appOption(runtime, options);
  const keys = await runtime.store.apiKeys.list(appId);
  const now = systemClock.now();
  emit(
    output,
    json,
    keys.map((key) => keyJson(key, now)),
    table([
      ["KEY ID", "APP ID", "NAME", "PREFIX", "SCOPES", "CREATED BY", "LAST USED", "EXPIRES", "STATUS"],
      ...keys.map((key) => [
        key.id,
        key.appId,
        key.name ?? "-",
        `${key.prefix}…`,
        scopeList(key.scopes),
        key.createdBy ?? "operator",
        isoTime(key.lastUsedAt),
        isoTime(key.expiresAt),
        statusText(key, now),
      ]),
    ]),
  );
}

/** `api-keys show KEY_ID`. */
export async function apiKeysShow(context: CommandContext): Promise<void> {
  const key = await existingKey(context, "show");
  const now = systemClock.now();
  emit(
    context.output,
    context.json,
    keyJson(key, now),
    table([
      ["key", key.id],
      ["app", key.appId],
      ["name", key.name ?? "-"],
      ["prefix", `${key.prefix}…`],
      ["scopes", scopeList(key.scopes)],
      ["status", statusText(key, now)],
      ["created", isoTime(key.createdAt)],
      ["created by", key.createdBy ?? "operator"],
      ["last used", isoTime(key.lastUsedAt)],
      ["expires", isoTime(key.expiresAt)],
    ]),
  );
}

/** `api-keys update KEY_ID [--name NAME] [--scopes LIST | --proxy-only] [--expires-in D | --no-expiry]`. */
export async function apiKeysUpdate(context: CommandContext): Promise<void> {
  const { options } = context;
  const change: ApiKeyUpdate = {};
  if (typeof options.name === "string") change.name = options.name.trim() || null;
  const scopes = requestedScopes(options);
  if (scopes !== undefined) change.scopes = scopes;
  const expiresAt = expiryOption(options);
  if (expiresAt !== undefined) change.expiresAt = expiresAt;
  if (Object.keys(change).length === 0) {
    throw new UsageError("api-keys update needs --name, --scopes, --proxy-only, --expires-in or --no-expiry");
  }
  await changeKey(context, "update", change, "Updated");
}

/** `api-keys disable KEY_ID`: refused from now on, until enabled again. */
export async function apiKeysDisable(context: CommandContext): Promise<void> {
  await changeKey(context, "disable", { enabled: false }, "Disabled");
}

export async function apiKeysEnable(context: CommandContext): Promise<void> {
  await changeKey(context, "enable", { enabled: true }, "Enabled");
}

/** `api-keys delete KEY_ID` (`keys revoke`): revoked for good, effective at once in every process. */
export async function apiKeysDelete(context: CommandContext): Promise<void> {
  const key = await existingKey(context, "delete");
  const revoked = (await management(context).revoke(OPERATOR, key.appId, key.id)) === "revoked";
  emit(
    context.output,
    context.json,
    { api_key_id: key.id, revoked: true, already_revoked: !revoked },
    revoked ? `Revoked ${key.id} (${key.prefix}…).` : `${key.id} was already revoked.`,
  );
}

async function changeKey(
  context: CommandContext,
  command: string,
  change: ApiKeyUpdate,
  done: string,
): Promise<void> {
  const key = await existingKey(context, command);
  const updated = await management(context).update(OPERATOR, key.appId, key.id, change);
  const now = systemClock.now();
  emit(
    context.output,
    context.json,
    keyJson(updated, now),
    `${done} ${updated.id} (${updated.prefix}…): ${statusText(updated, now)}, scopes ${scopeList(updated.scopes)}${updated.expiresAt === null ? "" : `, expires ${isoTime(updated.expiresAt)}`}.`,
  );
}

async function existingKey({ runtime, positionals }: CommandContext, command: string): Promise<ApiKeyRecord> {
  const [keyId] = positionals;
  if (!keyId)
    throw new UsageError(`api-keys ${command} needs the KEY_ID (see \`grantvault-server api-keys list\`)`);
  checkId("apiKey", keyId, "KEY_ID");
  const key = await runtime.store.apiKeys.get(keyId);
  if (!key) throw new UsageError(`there is no API key ${keyId}`);
  return key;
}

/** `operator-keys create [--name NAME] [--expires-in 30d]`: a vault-wide key, printed once. */
export async function operatorKeysCreate({ runtime, output, json, options }: CommandContext): Promise<void> {
  const name = typeof options.name === "string" ? options.name.trim() || null : null;
  const expiresAt = expiryOption(options) ?? null;
  const { key, plaintext } = await new OperatorKeyService(runtime.store, systemClock).create(name, expiresAt);
  emit(
    output,
    json,
    { ...operatorKeyJson(key), operator_key: plaintext },
    [
      `Created operator key ${key.id}${key.expiresAt === null ? "" : ` (expires ${isoTime(key.expiresAt)})`}: it manages every app over /v1/apps. Shown only this once:`,
      "",
      `  ${plaintext}`,
    ].join("\n"),
  );
}

export async function operatorKeysList({ runtime, output, json }: CommandContext): Promise<void> {
  const keys = await new OperatorKeyService(runtime.store, systemClock).list();
  const now = systemClock.now();
  emit(
    output,
    json,
    keys.map(operatorKeyJson),
    keys.length === 0
      ? "No operator keys: create one with `grantvault-server operator-keys create`."
      : table([
          ["KEY ID", "NAME", "PREFIX", "CREATED", "LAST USED", "EXPIRES", "STATUS"],
          ...keys.map((key) => [
            key.id,
            key.name ?? "-",
            `${key.prefix}…`,
            isoTime(key.createdAt),
            isoTime(key.lastUsedAt),
            isoTime(key.expiresAt),
            key.revokedAt !== null
              ? `revoked ${isoTime(key.revokedAt)}`
              : key.expiresAt !== null && key.expiresAt <= now
                ? "expired"
                : "active",
          ]),
        ]),
  );
}

/** `operator-keys revoke KEY_ID`: effective at once, in every server process. */
export async function operatorKeysRevoke({
  runtime,
  output,
  json,
  positionals,
}: CommandContext): Promise<void> {
  const [keyId] = positionals;
  if (!keyId)
    throw new UsageError(
      "operator-keys revoke needs the KEY_ID (see `grantvault-server operator-keys list`)",
    );
  checkId("operatorKey", keyId, "KEY_ID");
  const existing = await runtime.store.operatorKeys.get(keyId);
  if (!existing) throw new UsageError(`there is no operator key ${keyId}`);
  const revoked = await new OperatorKeyService(runtime.store, systemClock).revoke(keyId);
  emit(
    output,
    json,
    { operator_key_id: keyId, revoked: true, already_revoked: !revoked },
    revoked ? `Revoked ${keyId} (${existing.prefix}…).` : `${keyId} was already revoked.`,
  );
}

function requestedScopes(options: CommandContext["options"]): ApiKeyScope[] | undefined {
  if (options["proxy-only"] === true) {
    if (typeof options.scopes === "string") throw new UsageError("use --proxy-only or --scopes, not both");
    return ["proxy"];
  }
  if (typeof options.scopes !== "string") return undefined;
  const names = options.scopes
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(API_KEY_SCOPES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    const retrieve = unknown.includes("retrieve") ? " (retrieve is now called use)" : "";
    throw new UsageError(
      `unknown scope ${printable(unknown.join(", "))}${retrieve}: the scopes are ${API_KEY_SCOPES.join(", ")}`,
    );
  }
  return names as ApiKeyScope[];
}

/** `--expires-in D` as a time, `--no-expiry` as null, neither as undefined. */
function expiryOption(options: CommandContext["options"]): number | null | undefined {
  const expiresIn = options["expires-in"];
  if (options["no-expiry"] === true) {
    if (typeof expiresIn === "string") throw new UsageError("use --expires-in or --no-expiry, not both");
    return null;
  }
  if (typeof expiresIn !== "string") return undefined;
  return systemClock.now() + durationMs(expiresIn, "--expires-in");
}

/** A malformed id is a usage mistake, said by its shape (it may be a secret pasted in the wrong place). */
function checkId(kind: IdKind, value: string, what: string): void {
  const problem = idProblem(kind, value);
  if (problem !== null) throw new UsageError(`${what}: ${problem}`);
}

function scopeList(scopes: readonly ApiKeyScope[]): string {
  return scopes.length === 0 ? "none" : scopes.join(",");
}

function statusText(key: ApiKeyRecord, now: number): string {
  const status = keyStatus(key, now);
  if (status === "revoked") return `revoked ${isoTime(key.revokedAt)}`;
  if (status === "disabled") return `disabled ${isoTime(key.disabledAt)}`;
  return status;
}

function keyJson(key: ApiKeyRecord, now: number) {
  return {
    api_key_id: key.id,
    app_id: key.appId,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    status: keyStatus(key, now),
    created_at: isoTime(key.createdAt),
    created_by: key.createdBy,
    last_used_at: key.lastUsedAt === null ? null : isoTime(key.lastUsedAt),
    expires_at: key.expiresAt === null ? null : isoTime(key.expiresAt),
    disabled_at: key.disabledAt === null ? null : isoTime(key.disabledAt),
    revoked_at: key.revokedAt === null ? null : isoTime(key.revokedAt),
  };
}

function operatorKeyJson(key: OperatorKeyRecord) {
  return {
    operator_key_id: key.id,
    name: key.name,
    prefix: key.prefix,
    created_at: isoTime(key.createdAt),
    last_used_at: key.lastUsedAt === null ? null : isoTime(key.lastUsedAt),
    expires_at: key.expiresAt === null ? null : isoTime(key.expiresAt),
    revoked_at: key.revokedAt === null ? null : isoTime(key.revokedAt),
  };
}
