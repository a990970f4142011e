import { CreateAppRequest, UpdateAppRequest, WebOrigin } from "@grantvault/protocol";
import type { z } from "zod";
import { type AdminActor, actorLabel, actorPrefix, type OperatorActor } from "../apps/admin-actor.js";
import type { ApiKeyManagement } from "../apps/api-key-management.js";
import type { IssuedApiKey } from "../apps/api-keys.js";
import type { AppSettings } from "../apps/app-settings.js";
import type { AuditEventType } from "../audit/audit-event.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { AppRecord } from "../storage/apps-repository.js";
import type { Store } from "../storage/store.js";
import type { ConfigEvents } from "./config-events.js";
import { recordChange } from "./recorded-change.js";

/** An app as the admin API and CLI show it. */
export interface AppView {
  id: string;
  name: string;
  enabled: boolean;
  allowedOrigins: string[];
  /** F6: a user-bound grant is usable only with its user's token. */
  userGrantsNeedUserToken: boolean;
  createdAt: number;
}

/**
 * Managing apps (issue 15): create (with a first key of every scope), rename, allowed origins,
 * the F6 user-token setting, disable/enable and delete. Input is validated as a whole (every
 * problem at once); every change is an event in the app's own audit chain with the actor, undone
 * when that row cannot be written (fail closed), and published to every process.
 *
 * A disabled app keeps everything; its API keys are refused with `app_disabled` (checked where
 * keys are authenticated, so in every process at once). Deleting an app removes it with its keys,
 * grants and their sealed tokens, sessions, providers and identity provider (database cascade);
 * tokens are not revoked at the providers (a deleted app's grants can no longer be used by anyone,
 * and the accounts' owners can revoke the app at the provider). Its audit chain stays, ending
 * with `app.deleted`, and `audit verify` still checks it.
 */
export class AppAdmin {
  constructor(
    private readonly deps: {
      store: Store;
      audit: AuditLog;
      events: ConfigEvents;
      clock: Clock;
      apiKeys: ApiKeyManagement;
      settings: AppSettings;
    },
  ) {}

  async list(): Promise<AppView[]> {
    return (await this.deps.store.apps.list()).map(viewOf);
  }

  async get(appId: string): Promise<AppView> {
    return viewOf(await this.#existing(appId));
  }

  /** A new app and its first API key (every scope), whose plaintext is shown this once. */
  async create(actor: OperatorActor, input: unknown): Promise<{ app: AppView; apiKey: IssuedApiKey }> {
    const request = parsed(CreateAppRequest, input);
    const { app, apiKey } = await this.deps.apiKeys.createApp(
      request.name,
      unique(request.allowed_origins ?? []),
      actor,
    );
    await this.deps.events.publish(app.id);
    return { app: viewOf(app), apiKey };
  }

  /** Changes the fields given (PATCH): name, enabled, allowed_origins, user_grants_need_user_token. */
  async update(actor: AdminActor, appId: string, input: unknown): Promise<AppView> {
    const patch = parsed(UpdateAppRequest, input);
    const { store } = this.deps;
    const before = await this.#existing(appId);
    const changed: Record<string, unknown> = {};
    if (patch.name !== undefined && patch.name !== before.name) changed.name = patch.name;
    const origins = patch.allowed_origins === undefined ? undefined : unique(patch.allowed_origins);
    if (origins !== undefined && !sameList(origins, before.allowedOrigins)) {
      changed.allowed_origins = origins;
    }
    if (Object.keys(changed).length > 0) {
      if (changed.name !== undefined) await store.apps.rename(appId, patch.name as string);
      if (origins !== undefined && changed.allowed_origins)
        await store.apps.setAllowedOrigins(appId, origins);
      await this.#recorded(actor, appId, "app.updated", { changed: Object.keys(changed), ...changed }, () =>
        Promise.all([
          store.apps.rename(appId, before.name),
          store.apps.setAllowedOrigins(appId, before.allowedOrigins),
        ]),
      );
    }
    if (patch.user_grants_need_user_token !== undefined) {
      await this.deps.settings.setUserGrantsNeedUserToken(appId, patch.user_grants_need_user_token, actor);
      await this.deps.events.publish(appId);
    }
    if (patch.enabled !== undefined) await this.setEnabled(actor, appId, patch.enabled);
    return this.get(appId);
  }

  /** Disables the app (its keys are refused with `app_disabled`) or enables it again. */
  async setEnabled(actor: AdminActor, appId: string, enabled: boolean): Promise<AppView> {
    const { store, clock } = this.deps;
    await this.#existing(appId);
    if (await store.apps.setDisabledAt(appId, enabled ? null : clock.now())) {
      const before = enabled ? clock.now() : null;
      await this.#recorded(actor, appId, enabled ? "app.enabled" : "app.disabled", {}, () =>
        store.apps.setDisabledAt(appId, before),
      );
    }
    return this.get(appId);
  }

  /** Adds an origin to the app's allowed origins (no change when it is there). */
  async allowOrigin(actor: AdminActor, appId: string, origin: string): Promise<AppView> {
    const app = await this.#existing(appId);
    return this.update(actor, appId, { allowed_origins: [...app.allowedOrigins, checkedOrigin(origin)] });
  }

  /** Takes an origin back (no change when it was not there). */
  async disallowOrigin(actor: AdminActor, appId: string, origin: string): Promise<AppView> {
    const app = await this.#existing(appId);
    return this.update(actor, appId, {
      allowed_origins: app.allowedOrigins.filter((allowed) => allowed !== checkedOrigin(origin)),
    });
  }

  /**
   * Deletes the app and everything it owns (see the class comment). The `app.deleted` row is
   * written first: a deletion that cannot be recorded does not happen.
   */
  async delete(actor: AdminActor, appId: string): Promise<void> {
    const { store, audit, events } = this.deps;
    const app = await this.#existing(appId);
    const [keys, grants, providers] = await Promise.all([
      store.apiKeys.countActive(appId),
      store.grants.countForApp(appId),
      store.providers.listForApp(appId),
    ]);
    try {
      await audit.append({
        appId,
        type: "app.deleted",
        apiKeyPrefix: actorPrefix(actor),
        details: {
          name: app.name,
          active_api_keys: keys,
          grants,
          providers: providers.map((provider) => provider.providerId),
          by: actorLabel(actor),
        },
      });
    } catch (error) {
      throw new VaultError("audit_unavailable", { cause: error });
    }
    await store.apps.delete(appId);
    await events.publish(appId);
  }

  #recorded(
    actor: AdminActor,
    appId: string,
    type: AuditEventType,
    details: Record<string, unknown>,
    undo: () => Promise<unknown>,
  ): Promise<void> {
    return recordChange(this.deps, actor, { appId, type, details }, undo);
  }

  async #existing(appId: string): Promise<AppRecord> {
    const app = await this.deps.store.apps.get(appId);
    if (!app) throw new VaultError("not_found", { message: "There is no such app." });
    return app;
  }
}

export function viewOf(app: AppRecord): AppView {
  return {
    id: app.id,
    name: app.name,
    enabled: (app.disabledAt ?? null) === null,
    allowedOrigins: app.allowedOrigins,
    userGrantsNeedUserToken: app.userGrantsNeedUserToken ?? true,
    createdAt: app.createdAt,
  };
}

function parsed<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  throw new VaultError("invalid_request", {
    message: `The app is invalid: ${issues.map((issue) => `${issue.path || "(body)"}: ${issue.message}`).join("; ")}.`,
    issues,
  });
}

function checkedOrigin(origin: string): string {
  const result = WebOrigin.safeParse(origin);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: "origin", message: issue.message }));
  throw new VaultError("invalid_request", {
    message: `${origin}: ${issues.map((issue) => issue.message).join("; ")}`,
    issues,
  });
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
