import { API_KEY_SCOPES, type ApiKeyScope, DEFAULT_DELEGATED_SCOPES } from "@grantvault/protocol";
import { type AuditEventType, AuditLog } from "../audit/audit-log.js";
import type { KeyringSource } from "../audit/chain-writer.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import { type ApiKeyRecord, keyStatus } from "../storage/api-keys-repository.js";
import type { AppRecord } from "../storage/apps-repository.js";
import type { Store } from "../storage/store.js";
import {
  type AdminActor,
  type AppKeyActor,
  actorLabel,
  actorPrefix,
  OPERATOR,
  type OperatorActor,
} from "./admin-actor.js";
import { ApiKeyService, type IssuedApiKey } from "./api-keys.js";

export { type AdminActor, OPERATOR } from "./admin-actor.js";
/** The actor of key changes (the name this file used before operator keys). */
export type KeyActor = AdminActor;

/** A change to a key, as asked (absent: unchanged). */
export interface ApiKeyUpdate {
  name?: string | null | undefined;
  scopes?: readonly ApiKeyScope[] | undefined;
  expiresAt?: number | null | undefined;
  enabled?: boolean | undefined;
}

/**
 * Administering an app's API keys, the privileged side of {@link ApiKeyService}: create, list,
 * show, update (name, scopes, expiry), disable and enable, revoke (delete, for good). Every change
 * is checked against the actor and written to the app's audit log (`api_key.created`,
 * `api_key.updated`, `api_key.disabled`, `api_key.enabled`, `api_key.revoked`, with the acting
 * key's prefix), so a leaked key cannot mint itself a successor or lock the owner out without a
 * trace.
 */
export class ApiKeyManagement {
  constructor(
    private readonly deps: {
      keys: ApiKeyService;
      store: Store;
      audit: AuditLog;
      clock: Clock;
    },
  ) {}

  /** For the operator's commands, outside the HTTP app: its own service and audit writer. */
  static forStore(store: Store, clock: Clock, keyring: KeyringSource): ApiKeyManagement {
    return new ApiKeyManagement({
      keys: new ApiKeyService(store, clock),
      store,
      audit: new AuditLog(store, clock, keyring),
      clock,
    });
  }

  /**
   * A new app and its first key (all scopes), issued by the operator. Its chain starts with
   * `app.created`: an app without audit events then means a deleted chain (F8).
   */
  async createApp(
    name: string,
    allowedOrigins: string[] = [],
    actor: OperatorActor = OPERATOR,
  ): Promise<{ app: AppRecord; apiKey: IssuedApiKey }> {
    const created = await this.deps.keys.createApp(name, allowedOrigins);
    await this.deps.audit.append({
      appId: created.app.id,
      type: "app.created",
      apiKeyPrefix: actorPrefix(actor),
      details: {
        name,
        ...(allowedOrigins.length > 0 ? { allowed_origins: allowedOrigins } : {}),
        ...(actor.keyId === null ? {} : { by: actorLabel(actor) }),
      },
    });
    await this.#recordCreated(actor, created.apiKey.key);
    return created;
  }

  /**
   * Another key of `appId`, with `scopes` (default: all for the operator, all but `admin` for an
   * app's key, which may not grant scopes it lacks), expiring at `expiresAt` (null: never).
   */
  async create(
    actor: AdminActor,
    appId: string,
    request: {
      name: string | null;
      scopes?: readonly ApiKeyScope[] | undefined;
      expiresAt?: number | null | undefined;
    },
  ): Promise<IssuedApiKey> {
    let scopes = request.scopes;
    if (actor.kind === "api_key") {
      requireAdmin(actor, appId);
      scopes ??= DEFAULT_DELEGATED_SCOPES.filter((scope) => actor.scopes.includes(scope));
      refuseEscalation(actor, scopes, []);
    }
    const expiresAt = request.expiresAt ?? null;
    this.#checkExpiry(expiresAt);
    const issued = await this.deps.keys.createKey(
      appId,
      request.name,
      scopes,
      actor.kind === "api_key" ? actor.keyId : null,
      expiresAt,
    );
    try {
      await this.#recordCreated(actor, issued.key);
    } catch (error) {
      // Fail closed: a key whose creation is not on record is not handed out.
      await this.deps.keys.revoke(issued.key.id);
      throw new VaultError("audit_unavailable", { cause: error });
    }
    return issued;
  }

  /** The app's keys, oldest first, revoked ones included (their prefixes explain old audit rows). */
  async list(actor: AdminActor, appId: string): Promise<ApiKeyRecord[]> {
    if (actor.kind === "api_key") requireAdmin(actor, appId);
    return this.deps.store.apiKeys.list(appId);
  }

  /** One key of the app; another app's key is as absent as a missing one. */
  async get(actor: AdminActor, appId: string, keyId: string): Promise<ApiKeyRecord> {
    if (actor.kind === "api_key") requireAdmin(actor, appId);
    const key = await this.deps.store.apiKeys.get(keyId);
    if (!key || key.appId !== appId) throw new VaultError("not_found");
    return key;
  }

  /**
   * Renames, rescopes, sets or clears the expiry of, disables or enables a key that is not
   * revoked. An app's key may add only scopes it has, and may not leave its app without an active
   * admin key. One audit event per kind of change; the key as it now is.
   */
  async update(actor: AdminActor, appId: string, keyId: string, change: ApiKeyUpdate): Promise<ApiKeyRecord> {
    if (actor.kind === "api_key") requireAdmin(actor, appId);
    if (change.expiresAt !== undefined) this.#checkExpiry(change.expiresAt);
    const { store, clock } = this.deps;
    const { before, after } = await store.withLock(`api-keys:${appId}`, async (locked) => {
      const key = await locked.apiKeys.get(keyId);
      if (!key || key.appId !== appId) throw new VaultError("not_found");
      if (key.revokedAt !== null) {
        throw new VaultError("invalid_request", {
          message: "That key is revoked (deleted); a revoked key cannot be changed. Create another.",
        });
      }
      const scopes =
        change.scopes === undefined
          ? undefined
          : API_KEY_SCOPES.filter((scope) => change.scopes?.includes(scope));
      if (actor.kind === "api_key" && scopes) refuseEscalation(actor, scopes, key.scopes);
      const disabledAt =
        change.enabled === undefined ? undefined : change.enabled ? null : (key.disabledAt ?? clock.now());
      const updated: ApiKeyRecord = {
        ...key,
        ...(change.name === undefined ? {} : { name: change.name }),
        ...(scopes === undefined ? {} : { scopes }),
        ...(change.expiresAt === undefined ? {} : { expiresAt: change.expiresAt }),
        ...(disabledAt === undefined ? {} : { disabledAt }),
      };
      if (actor.kind === "api_key") await this.#keepAnAdminKey(locked, appId, updated);
      await locked.apiKeys.update(keyId, {
        ...(change.name === undefined ? {} : { name: change.name }),
        ...(scopes === undefined ? {} : { scopes }),
        ...(change.expiresAt === undefined ? {} : { expiresAt: change.expiresAt }),
        ...(disabledAt === undefined ? {} : { disabledAt }),
      });
      return { before: key, after: updated };
    });
    await this.#recordUpdate(actor, before, after);
    return after;
  }

  /**
   * Revokes (deletes, for good) a key of `appId`. Over HTTP with an app's key, the app's last
   * active admin key stays: checked and revoked under the app's key lock, so two revokes at once
   * cannot leave the app without one. "already_revoked" when it was revoked before.
   */
  async revoke(actor: AdminActor, appId: string, keyId: string): Promise<"revoked" | "already_revoked"> {
    if (actor.kind === "api_key") requireAdmin(actor, appId);
    const { store } = this.deps;
    const outcome = await store.withLock(`api-keys:${appId}`, async (locked) => {
      const key = await locked.apiKeys.get(keyId);
      if (!key || key.appId !== appId) throw new VaultError("not_found");
      if (key.revokedAt !== null) return "already_revoked" as const;
      if (actor.kind === "api_key") {
        await this.#keepAnAdminKey(locked, appId, { ...key, revokedAt: this.deps.clock.now() });
      }
      await this.deps.keys.revoke(keyId, locked);
      return { revoked: key };
    });
    if (outcome === "already_revoked") return outcome;
    await this.deps.audit.append({
      appId,
      type: "api_key.revoked",
      apiKeyPrefix: actorPrefix(actor),
      details: { api_key_id: keyId, prefix: outcome.revoked.prefix, by: actor.kind },
    });
    return "revoked";
  }

  /** F4: after `changed`, the app must still have a key that is active and may administer it. */
  async #keepAnAdminKey(store: Store, appId: string, changed: ApiKeyRecord): Promise<void> {
    const now = this.deps.clock.now();
    const keys = await store.apiKeys.list(appId);
    const admins = keys
      .map((key) => (key.id === changed.id ? changed : key))
      .filter((key) => keyStatus(key, now) === "active" && key.scopes.includes("admin"));
    if (admins.length === 0) throw new VaultError("last_api_key");
  }

  #checkExpiry(expiresAt: number | null): void {
    if (expiresAt !== null && expiresAt <= this.deps.clock.now()) {
      throw new VaultError("invalid_request", {
        issues: [{ path: "expires_at", message: "must be in the future" }],
      });
    }
  }

  #recordCreated(actor: AdminActor, key: ApiKeyRecord): Promise<void> {
    return this.deps.audit.append({
      appId: key.appId,
      type: "api_key.created",
      apiKeyPrefix: actorPrefix(actor),
      details: {
        api_key_id: key.id,
        prefix: key.prefix,
        scopes: [...key.scopes],
        ...(key.expiresAt === null ? {} : { expires_at: new Date(key.expiresAt).toISOString() }),
        by: actor.kind,
      },
    });
  }

  async #recordUpdate(actor: AdminActor, before: ApiKeyRecord, after: ApiKeyRecord): Promise<void> {
    const common = { api_key_id: after.id, prefix: after.prefix, by: actor.kind };
    const changes: Record<string, unknown> = {};
    if (before.name !== after.name) changes.name = after.name;
    if (before.scopes.join(" ") !== after.scopes.join(" ")) {
      changes.scopes = [...after.scopes];
      changes.previous_scopes = [...before.scopes];
    }
    if (before.expiresAt !== after.expiresAt) {
      changes.expires_at = after.expiresAt === null ? null : new Date(after.expiresAt).toISOString();
    }
    const events: { type: AuditEventType; details: Record<string, unknown> }[] = [];
    if (Object.keys(changes).length > 0) events.push({ type: "api_key.updated", details: changes });
    if (before.disabledAt === null && after.disabledAt !== null)
      events.push({ type: "api_key.disabled", details: {} });
    if (before.disabledAt !== null && after.disabledAt === null)
      events.push({ type: "api_key.enabled", details: {} });
    for (const event of events) {
      await this.deps.audit.append({
        appId: after.appId,
        type: event.type,
        apiKeyPrefix: actorPrefix(actor),
        details: { ...common, ...event.details },
      });
    }
  }
}

function requireAdmin(actor: AppKeyActor, appId: string): void {
  // A key only ever acts on its own app; another app's keys are as absent as missing ones.
  if (actor.appId !== appId) throw new VaultError("not_found");
  if (!actor.scopes.includes("admin")) {
    throw new VaultError("insufficient_scope", {
      message: "Managing API keys needs a key with the `admin` scope.",
    });
  }
}

/** A key may hand out only scopes it has (those the changed key has already stay). */
function refuseEscalation(
  actor: AppKeyActor,
  scopes: readonly ApiKeyScope[],
  kept: readonly ApiKeyScope[],
): void {
  const beyond = scopes.filter((scope) => !actor.scopes.includes(scope) && !kept.includes(scope));
  if (beyond.length > 0) {
    throw new VaultError("insufficient_scope", {
      message: `A key cannot grant scopes it does not have: ${beyond.join(", ")}.`,
    });
  }
}
