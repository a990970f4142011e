import type { AdminActor } from "../apps/admin-actor.js";
import type { AuditEventType } from "../audit/audit-event.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { KeyringHolder } from "../crypto/keyring-holder.js";
import { VaultError } from "../errors.js";
import { SIGN_IN_CALLBACK_PATH } from "../identity/sign-in-callback.js";
import {
  type DocumentIssue,
  type IdentityProviderConfig,
  parseIdentityDocument,
} from "../providers/provider-config.js";
import type { IdentityProviderRow } from "../storage/identity-providers-repository.js";
import { bindingOf, IDENTITY_SECRET_FIELD } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";
import type { ConfigEvents } from "./config-events.js";
import {
  changedFields,
  hasClientSecret,
  invalidDocument,
  isDocumentObject,
  patched,
  requireApp,
  sameDocument,
} from "./document-changes.js";
import { recordChange } from "./recorded-change.js";

/** An app's identity provider as the admin API and CLI show it: never its client secret. */
export interface IdentityProviderView {
  appId: string;
  /** The identity provider document without `clientSecret` (and without `app`). */
  document: Record<string, unknown>;
  enabled: boolean;
  /** The redirect URI to register at the identity provider for this client. */
  redirectUri: string;
  createdAt: number;
  updatedAt: number;
}

export type IdentityImportOutcome = "created" | "updated" | "unchanged";

/**
 * Managing an app's identity provider (issue 15), as {@link ProviderAdmin} does its providers:
 * validated as a whole (every problem at once), the client secret sealed with the key ring, every
 * change in the app's audit chain (never the secret) or undone, then published to every process.
 */
export class IdentityProviderAdmin {
  constructor(
    private readonly deps: {
      store: Store;
      keys: KeyringHolder;
      audit: AuditLog;
      events: ConfigEvents;
      clock: Clock;
      publicUrl: string;
    },
  ) {}

  async get(appId: string): Promise<IdentityProviderView> {
    return this.#view(await this.#existing(appId));
  }

  /**
   * Sets the app's identity provider as a whole (PUT). Without `clientSecret` the stored one is
   * kept, so a document can be re-sent without the secret; a new one needs it.
   */
  async put(actor: AdminActor, appId: string, document: unknown): Promise<IdentityProviderView> {
    const { view } = await this.#change(actor, appId, async (current) => {
      if (isDocumentObject(document) && "app" in document) {
        throw invalid([{ path: "app", message: "is given by the path (or --app), not the document" }]);
      }
      const secret = current && !hasClientSecret(document) ? await this.#openSecret(current) : undefined;
      return validated(
        secret === undefined || !isDocumentObject(document)
          ? document
          : { ...document, clientSecret: secret },
        appId,
      );
    });
    return view;
  }

  /** Changes some fields (PATCH): `null` removes an optional one; `enabled` turns it on or off. */
  async update(actor: AdminActor, appId: string, patch: unknown): Promise<IdentityProviderView> {
    if (!isDocumentObject(patch)) throw invalid([{ path: "", message: "must be a JSON object" }]);
    const { enabled, ...fields } = patch;
    if (enabled !== undefined && typeof enabled !== "boolean") {
      throw invalid([{ path: "enabled", message: "must be true or false" }]);
    }
    if ("app" in fields) {
      throw invalid([{ path: "app", message: "is given by the path (or --app), not the document" }]);
    }
    let view = await this.get(appId);
    if (Object.keys(fields).length > 0) {
      ({ view } = await this.#change(actor, appId, async (current) => {
        if (!current) throw notFound();
        return validated(
          patched({ ...current.config, clientSecret: await this.#openSecret(current) }, fields),
          appId,
        );
      }));
    }
    if (enabled !== undefined) view = await this.setEnabled(actor, appId, enabled);
    return view;
  }

  async setEnabled(actor: AdminActor, appId: string, enabled: boolean): Promise<IdentityProviderView> {
    const { store, clock } = this.deps;
    const before = await this.#existing(appId);
    if (before.enabled === enabled) return this.#view(before);
    const after = { ...before, enabled, updatedAt: clock.now() };
    await store.identityProviders.put(after);
    await this.#recorded(actor, appId, "identity_provider.set", { changed: ["enabled"], enabled }, () =>
      store.identityProviders.put(before),
    );
    return this.#view(after);
  }

  /** Removes the app's identity provider: sign-in and user tokens stop working for the app. */
  async delete(actor: AdminActor, appId: string): Promise<void> {
    const { store } = this.deps;
    const before = await this.#existing(appId);
    await store.identityProviders.delete(appId);
    await this.#recorded(actor, appId, "identity_provider.deleted", {}, () =>
      store.identityProviders.put(before),
    );
  }

  /**
   * The providers file's `identity` entry of the app: stored when absent or different, left alone
   * when equal, so every start (and every process of a fleet) may run it.
   */
  async import(
    actor: AdminActor,
    appId: string,
    config: IdentityProviderConfig,
  ): Promise<IdentityImportOutcome> {
    const { outcome } = await this.#change(actor, appId, async () => ({ ...config, app: appId }));
    return outcome;
  }

  async #change(
    actor: AdminActor,
    appId: string,
    next: (current: IdentityProviderRow | null) => Promise<IdentityProviderConfig>,
  ): Promise<{ view: IdentityProviderView; outcome: IdentityImportOutcome }> {
    await this.#requireApp(appId);
    const { before, after } = await this.deps.store.withLock(`identity:${appId}`, async (store) => {
      const current = await store.identityProviders.get(appId);
      const config = await next(current);
      if (current && (await this.#sameAs(current, config))) return { before: current, after: null };
      const row = await this.#row(appId, config, current);
      await store.identityProviders.put(row);
      return { before: current, after: row };
    });
    if (!after) return { view: this.#view(before as IdentityProviderRow), outcome: "unchanged" };
    const { store } = this.deps;
    await this.#recorded(
      actor,
      appId,
      "identity_provider.set",
      { changed: before ? await this.#changedFields(before, after) : ["created"] },
      () => (before ? store.identityProviders.put(before) : store.identityProviders.delete(appId)),
    );
    return { view: this.#view(after), outcome: before ? "updated" : "created" };
  }

  async #row(
    appId: string,
    config: IdentityProviderConfig,
    current: IdentityProviderRow | null,
  ): Promise<IdentityProviderRow> {
    const { clientSecret, app: _app, ...document } = config;
    const keyring = await this.deps.keys.current();
    const now = this.deps.clock.now();
    return {
      appId,
      config: document,
      sealedSecret: keyring.seal(clientSecret, bindingOf(IDENTITY_SECRET_FIELD, appId)),
      enabled: current?.enabled ?? true,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
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

  async #changedFields(before: IdentityProviderRow, after: IdentityProviderRow): Promise<string[]> {
    const secretChanged = (await this.#openSecret(before)) !== (await this.#openSecret(after));
    return changedFields(before.config, after.config, secretChanged);
  }

  async #sameAs(row: IdentityProviderRow, config: IdentityProviderConfig): Promise<boolean> {
    const { clientSecret, app: _app, ...document } = config;
    return sameDocument(row.config, await this.#openSecret(row), document, clientSecret);
  }

  async #openSecret(row: IdentityProviderRow): Promise<string> {
    const keyring = await this.deps.keys.current();
    return keyring.open(row.sealedSecret, bindingOf(IDENTITY_SECRET_FIELD, row.appId));
  }

  async #existing(appId: string): Promise<IdentityProviderRow> {
    await this.#requireApp(appId);
    const row = await this.deps.store.identityProviders.get(appId);
    if (!row) throw notFound();
    return row;
  }

  #requireApp(appId: string): Promise<void> {
    return requireApp(this.deps.store, appId);
  }

  #view(row: IdentityProviderRow): IdentityProviderView {
    return {
      appId: row.appId,
      document: { ...row.config },
      enabled: row.enabled,
      redirectUri: `${this.deps.publicUrl}${SIGN_IN_CALLBACK_PATH}`,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

function validated(document: unknown, appId: string): IdentityProviderConfig {
  const result = parseIdentityDocument(document, appId);
  if ("issues" in result) throw invalid(result.issues);
  return result.identity;
}

function invalid(issues: DocumentIssue[]): VaultError {
  return invalidDocument("identity provider", issues);
}

function notFound(): VaultError {
  return new VaultError("not_found", { message: "The app has no identity provider." });
}
