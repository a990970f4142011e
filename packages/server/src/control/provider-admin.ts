import type { AdminActor } from "../apps/admin-actor.js";
import type { AuditEventType } from "../audit/audit-event.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { KeyringHolder } from "../crypto/keyring-holder.js";
import { VaultError } from "../errors.js";
import { newId } from "../ids.js";
import {
  type DocumentIssue,
  type ProviderConfig,
  parseProviderDocument,
} from "../providers/provider-config.js";
import type { ProviderRow } from "../storage/providers-repository.js";
import { bindingOf, PROVIDER_SECRET_FIELD } from "../storage/sealed-fields.js";
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
import { openProviderSecret } from "./stored-provider.js";

/** An app's provider as the admin API and CLI show it: never its client secret. */
export interface ProviderView {
  /** The provider document without `clientSecret`. */
  document: Record<string, unknown>;
  id: string;
  enabled: boolean;
  /** The redirect URI to register at the provider for this OAuth client. */
  redirectUri: string;
  createdAt: number;
  updatedAt: number;
}

/** What an import did, by provider id. */
export interface ImportReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}

/**
 * Managing an app's providers (issue 15): every change is validated as a whole (every problem
 * reported at once), seals the client secret with the key ring, is recorded in the app's audit
 * chain (never the secret), and reaches every server process through ConfigEvents. A change whose
 * audit row cannot be written is undone (fail closed), as for the app's other settings.
 */
export class ProviderAdmin {
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

  async list(appId: string): Promise<ProviderView[]> {
    await this.#requireApp(appId);
    return (await this.deps.store.providers.listForApp(appId)).map((row) => this.#view(row));
  }

  async get(appId: string, providerId: string): Promise<ProviderView> {
    return this.#view(await this.#existing(appId, providerId));
  }

  /** A new provider of the app; `already_exists` when the app has one with that id. */
  async create(actor: AdminActor, appId: string, document: unknown): Promise<ProviderView> {
    const provider = validated(document);
    await this.#requireApp(appId);
    const row = await this.#locked(appId, async (store) => {
      if (await store.providers.get(appId, provider.id)) {
        throw new VaultError("already_exists", {
          message: `The app has a provider "${provider.id}" already; update it, or choose another id.`,
        });
      }
      const created = await this.#row(appId, provider, null);
      await store.providers.insert(created);
      return created;
    });
    await this.#recorded(actor, row, "provider.created", { kind: row.kind }, () =>
      this.deps.store.providers.delete(appId, row.providerId),
    );
    return this.#view(row);
  }

  /**
   * Replaces the provider's document as a whole (PUT). Without `clientSecret` the stored one is
   * kept, so a document can be re-sent without the secret; a new provider needs one.
   */
  async replace(
    actor: AdminActor,
    appId: string,
    providerId: string,
    document: unknown,
  ): Promise<ProviderView> {
    const input = withPathId(document, providerId);
    const { view } = await this.#change(actor, appId, providerId, async (current) => {
      const secret = current && !hasClientSecret(input) ? await this.#openSecret(current) : undefined;
      return validated(secret === undefined ? input : { ...(input as object), clientSecret: secret });
    });
    return view;
  }

  /**
   * Changes some fields (PATCH): `null` removes an optional one; `enabled` turns the provider on
   * or off. The result is validated as a whole.
   */
  async update(actor: AdminActor, appId: string, providerId: string, patch: unknown): Promise<ProviderView> {
    if (!isDocumentObject(patch)) throw invalid([{ path: "", message: "must be a JSON object" }]);
    const { enabled, ...fields } = patch;
    if (enabled !== undefined && typeof enabled !== "boolean") {
      throw invalid([{ path: "enabled", message: "must be true or false" }]);
    }
    if ("id" in fields && fields.id !== providerId) {
      throw invalid([{ path: "id", message: "cannot be changed; create a provider with the new id" }]);
    }
    let view = await this.get(appId, providerId);
    if (Object.keys(fields).length > 0) {
      ({ view } = await this.#change(actor, appId, providerId, async (current) => {
        if (!current) throw new VaultError("not_found");
        return validated(
          patched({ ...current.config, clientSecret: await this.#openSecret(current) }, fields),
        );
      }));
    }
    if (enabled !== undefined) view = await this.setEnabled(actor, appId, providerId, enabled);
    return view;
  }

  async setEnabled(
    actor: AdminActor,
    appId: string,
    providerId: string,
    enabled: boolean,
  ): Promise<ProviderView> {
    const { store, clock } = this.deps;
    const before = await this.#existing(appId, providerId);
    if (before.enabled === enabled) return this.#view(before);
    const after = { ...before, enabled, updatedAt: clock.now() };
    await store.providers.update(after);
    await this.#recorded(actor, after, enabled ? "provider.enabled" : "provider.disabled", {}, () =>
      store.providers.update(before),
    );
    return this.#view(after);
  }

  /**
   * Deletes the provider. Its grants stay (and are refused until a provider with that id exists
   * again), so deleting by mistake loses no user's consent.
   */
  async delete(actor: AdminActor, appId: string, providerId: string): Promise<void> {
    const { store } = this.deps;
    const before = await this.#existing(appId, providerId);
    await store.providers.delete(appId, providerId);
    await this.#recorded(actor, before, "provider.deleted", {}, () => store.providers.insert(before));
  }

  /**
   * Brings the app's providers in line with `providers` (a providers file): new ids are created,
   * changed ones updated, equal ones left alone, so running it again changes nothing. Providers of
   * the app that the file does not name are kept; whether one is enabled is not the file's to say.
   */
  async import(
    actor: AdminActor,
    appId: string,
    providers: readonly ProviderConfig[],
  ): Promise<ImportReport> {
    await this.#requireApp(appId);
    const report: ImportReport = { created: [], updated: [], unchanged: [] };
    for (const provider of providers) {
      // Under the lock: several processes starting with the same file import it once.
      const { outcome } = await this.#change(actor, appId, provider.id, async () => provider);
      report[outcome].push(provider.id);
    }
    return report;
  }

  /**
   * A whole-document change under the app's lock: created when absent, left alone (and not
   * recorded) when equal to what is stored.
   */
  async #change(
    actor: AdminActor,
    appId: string,
    providerId: string,
    next: (current: ProviderRow | null) => Promise<ProviderConfig>,
  ): Promise<{ view: ProviderView; outcome: keyof ImportReport }> {
    await this.#requireApp(appId);
    const { before, after } = await this.#locked(appId, async (store) => {
      const current = await store.providers.get(appId, providerId);
      const provider = await next(current);
      if (current && (await this.#sameAs(current, provider))) return { before: current, after: null };
      const row = await this.#row(appId, provider, current);
      if (current) await store.providers.update(row);
      else await store.providers.insert(row);
      return { before: current, after: row };
    });
    if (!after) return { view: this.#view(before as ProviderRow), outcome: "unchanged" };
    const { store } = this.deps;
    if (before) {
      await this.#recorded(
        actor,
        after,
        "provider.updated",
        { changed: await this.#changedFields(before, after) },
        () => store.providers.update(before),
      );
      return { view: this.#view(after), outcome: "updated" };
    }
    await this.#recorded(actor, after, "provider.created", { kind: after.kind }, () =>
      store.providers.delete(appId, providerId),
    );
    return { view: this.#view(after), outcome: "created" };
  }

  async #row(appId: string, provider: ProviderConfig, current: ProviderRow | null): Promise<ProviderRow> {
    const { clientSecret, ...config } = provider;
    const id = current?.id ?? newId("prv");
    const keyring = await this.deps.keys.current();
    const now = this.deps.clock.now();
    return {
      id,
      appId,
      providerId: provider.id,
      kind: "catalog" in provider ? "catalog" : provider.type,
      config,
      sealedSecret: keyring.seal(clientSecret, bindingOf(PROVIDER_SECRET_FIELD, id)),
      enabled: current?.enabled ?? true,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
    };
  }

  #recorded(
    actor: AdminActor,
    row: ProviderRow,
    type: AuditEventType,
    details: Record<string, unknown>,
    undo: () => Promise<unknown>,
  ): Promise<void> {
    const change = {
      appId: row.appId,
      type,
      providerId: row.providerId,
      details: { provider_id: row.providerId, ...details },
    };
    return recordChange(this.deps, actor, change, undo);
  }

  async #changedFields(before: ProviderRow, after: ProviderRow): Promise<string[]> {
    const secretChanged = (await this.#openSecret(before)) !== (await this.#openSecret(after));
    return changedFields(before.config, after.config, secretChanged);
  }

  async #sameAs(row: ProviderRow, provider: ProviderConfig): Promise<boolean> {
    const { clientSecret, ...config } = provider;
    return sameDocument(row.config, await this.#openSecret(row), config, clientSecret);
  }

  async #openSecret(row: ProviderRow): Promise<string> {
    return openProviderSecret(row, await this.deps.keys.current());
  }

  async #existing(appId: string, providerId: string): Promise<ProviderRow> {
    await this.#requireApp(appId);
    const row = await this.deps.store.providers.get(appId, providerId);
    if (!row) throw new VaultError("not_found", { message: `The app has no provider "${providerId}".` });
    return row;
  }

  #requireApp(appId: string): Promise<void> {
    return requireApp(this.deps.store, appId);
  }

  #locked<T>(appId: string, work: (store: Store) => Promise<T>): Promise<T> {
    return this.deps.store.withLock(`providers:${appId}`, work);
  }

  #view(row: ProviderRow): ProviderView {
    return {
      document: { id: row.providerId, ...row.config },
      id: row.providerId,
      enabled: row.enabled,
      redirectUri: `${this.deps.publicUrl}/v1/oauth/callback/${row.providerId}`,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

function validated(document: unknown): ProviderConfig {
  const result = parseProviderDocument(document);
  if ("issues" in result) throw invalid(result.issues);
  return result.provider;
}

function invalid(issues: DocumentIssue[]): VaultError {
  return invalidDocument("provider", issues);
}

/** The path names the provider; a body naming another is a mistake, not a rename. */
function withPathId(document: unknown, providerId: string): unknown {
  if (!isDocumentObject(document)) return document;
  const given = document.id;
  if (given !== undefined && given !== providerId) {
    throw invalid([{ path: "id", message: `must be "${providerId}" (the path's), or left out` }]);
  }
  return { ...document, id: providerId };
}
