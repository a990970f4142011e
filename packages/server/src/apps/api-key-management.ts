import type { ApiKeyScope } from "@grantvault/protocol";
import { AuditLog } from "../audit/audit-log.js";
import type { KeyringSource } from "../audit/chain-writer.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { ApiKeyRecord } from "../storage/api-keys-repository.js";
import type { AppRecord } from "../storage/apps-repository.js";
import type { Store } from "../storage/store.js";
import { ApiKeyService, type IssuedApiKey } from "./api-keys.js";

/**
 * Who manages keys: the operator (server CLI, first start), who may do anything, or an app's API
 * key over HTTP, which needs the `admin` scope, may not grant scopes it lacks, and may not revoke
 * its app's last active key (F4).
 */
export type KeyActor =
  | { kind: "operator" }
  | { kind: "api_key"; appId: string; keyId: string; keyPrefix: string; scopes: readonly ApiKeyScope[] };

export const OPERATOR: KeyActor = { kind: "operator" };

/**
 * Creating and revoking API keys, the privileged side of {@link ApiKeyService}: every change is
 * checked against the actor and written to the app's audit log (`api_key.created`,
 * `api_key.revoked`, with the acting key's prefix), so a leaked key cannot mint itself a
 * successor or lock the owner out without a trace.
 */
export class ApiKeyManagement {
  constructor(
    private readonly deps: {
      keys: ApiKeyService;
      store: Store;
      audit: AuditLog;
    },
  ) {}

  /** For the operator's commands, outside the HTTP app: its own service and audit writer. */
  static forStore(store: Store, clock: Clock, keyring: KeyringSource): ApiKeyManagement {
    return new ApiKeyManagement({
      keys: new ApiKeyService(store, clock),
      store,
      audit: new AuditLog(store, clock, keyring),
    });
  }

  /**
   * A new app and its first key (all scopes), issued by the operator. Its chain starts with
   * `app.created`: an app without audit events then means a deleted chain (F8).
   */
  async createApp(
    name: string,
    allowedOrigins: string[] = [],
  ): Promise<{ app: AppRecord; apiKey: IssuedApiKey }> {
    const created = await this.deps.keys.createApp(name, allowedOrigins);
    await this.deps.audit.append({
      appId: created.app.id,
      type: "app.created",
      details: allowedOrigins.length > 0 ? { name, allowed_origins: allowedOrigins } : { name },
    });
    await this.#recordCreated(OPERATOR, created.apiKey.key);
    return created;
  }

  /** Another key of `appId`, with `scopes` (default: all for the operator, `retrieve` for a key). */
  async create(
    actor: KeyActor,
    appId: string,
    request: { name: string | null; scopes?: readonly ApiKeyScope[] | undefined },
  ): Promise<IssuedApiKey> {
    let scopes = request.scopes;
    if (actor.kind === "api_key") {
      requireAdmin(actor, appId);
      scopes ??= ["retrieve"];
      const beyond = scopes.filter((scope) => !actor.scopes.includes(scope));
      if (beyond.length > 0) {
        throw new VaultError("insufficient_scope", {
          message: `A key cannot grant scopes it does not have: ${beyond.join(", ")}.`,
        });
      }
    }
    const issued = await this.deps.keys.createKey(
      appId,
      request.name,
      scopes,
      actor.kind === "api_key" ? actor.keyId : null,
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

  /**
   * Revokes a key of `appId` (another app's key is as absent as a missing one). Over HTTP the
   * app's last active key stays: checked and revoked under the app's key lock, so two revokes at
   * once cannot leave the app with none. "already_revoked" when it was revoked before.
   */
  async revoke(actor: KeyActor, appId: string, keyId: string): Promise<"revoked" | "already_revoked"> {
    if (actor.kind === "api_key") requireAdmin(actor, appId);
    const { store } = this.deps;
    const outcome = await store.withLock(`api-keys:${appId}`, async (locked) => {
      const key = await locked.apiKeys.get(keyId);
      if (!key || key.appId !== appId) throw new VaultError("not_found");
      if (key.revokedAt !== null) return "already_revoked" as const;
      if (actor.kind === "api_key" && (await locked.apiKeys.countActive(appId)) <= 1) {
        throw new VaultError("last_api_key");
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

  #recordCreated(actor: KeyActor, key: ApiKeyRecord): Promise<void> {
    return this.deps.audit.append({
      appId: key.appId,
      type: "api_key.created",
      apiKeyPrefix: actorPrefix(actor),
      details: { api_key_id: key.id, prefix: key.prefix, scopes: [...key.scopes], by: actor.kind },
    });
  }
}

function requireAdmin(actor: Extract<KeyActor, { kind: "api_key" }>, appId: string): void {
  // A key only ever acts on its own app; another app's keys are as absent as missing ones.
  if (actor.appId !== appId) throw new VaultError("not_found");
  if (!actor.scopes.includes("admin")) {
    throw new VaultError("insufficient_scope", {
      message: "Managing API keys needs a key with the admin scope.",
    });
  }
}

function actorPrefix(actor: KeyActor): string | null {
  return actor.kind === "api_key" ? actor.keyPrefix : null;
}
