import type { KeyringHolder } from "../crypto/keyring-holder.js";
import type { AppIdentity } from "../identity/identity-registry.js";
import type { Logger } from "../logger.js";
import { LruMap } from "../lru-map.js";
import type { IdentityProviderConfig, ProviderConfig } from "../providers/provider-config.js";
import { resolveIdentityProvider, resolveProvider } from "../providers/resolve-provider.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import { bindingOf, IDENTITY_SECRET_FIELD } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";
import type { ConfigEvents } from "./config-events.js";
import { openStoredProvider } from "./stored-provider.js";

/** What one app offers: its own providers, then the built-in ones it does not shadow. */
export interface AppProviders {
  /** The enabled provider with this id, or undefined. */
  get(id: string): ResolvedProvider | undefined;
  /** True when the app has this provider but the operator disabled it. */
  isDisabled(id: string): boolean;
  /** The enabled providers, the app's own first (by id), then the built-in ones. */
  list(): ResolvedProvider[];
  ids(): string[];
}

/**
 * How long a process trusts what it read of an app's configuration without being told of a
 * change. Changes arrive as ConfigEvents within milliseconds; this only bounds how stale a
 * process can be if a notification was lost while its listening connection was down.
 */
export const CONFIG_TTL_MS = 30_000;

/** Apps whose configuration a process keeps read at once; the least recently used leave first. */
const APPS_CACHED = 10_000;

interface Cached<T> {
  value: Promise<T>;
  until: number;
}

/**
 * The providers and identity provider of each app, read from the database and kept per app until
 * a ConfigEvents change names the app (any process) or CONFIG_TTL_MS passes. Built-in providers
 * (the demo provider, tests' in-memory ones) are offered to every app that has none of that id.
 */
export class ProviderDirectory {
  readonly #providers = new LruMap<string, Cached<AppProviders>>(APPS_CACHED);
  readonly #identities = new LruMap<string, Cached<AppIdentity | undefined>>(APPS_CACHED);
  readonly #builtIns: readonly ResolvedProvider[];
  readonly #builtInIdentities: ReadonlyMap<string, AppIdentity>;

  constructor(
    private readonly deps: {
      store: Store;
      keys: KeyringHolder;
      events: ConfigEvents;
      logger: Logger;
      now: () => number;
      builtIns?: readonly ProviderConfig[];
      /** Identity providers not in the database (the demo provider for the first app; tests'). */
      builtInIdentities?: readonly IdentityProviderConfig[];
    },
  ) {
    this.#builtIns = (deps.builtIns ?? []).map(resolveProvider);
    this.#builtInIdentities = new Map(
      (deps.builtInIdentities ?? []).map((config) => [config.app, appIdentityOf(config)]),
    );
    deps.events.onChange((appId) => this.forget(appId));
  }

  /** The built-in providers, offered to every app (the banner lists them). */
  get builtIns(): readonly ResolvedProvider[] {
    return this.#builtIns;
  }

  forApp(appId: string): Promise<AppProviders> {
    return this.#cached(this.#providers, appId, () => this.#loadProviders(appId));
  }

  /** The app's identity provider (`authenticate()`, user tokens), or undefined. */
  identityFor(appId: string): Promise<AppIdentity | undefined> {
    return this.#cached(this.#identities, appId, () => this.#loadIdentity(appId));
  }

  /** Drops what this process holds of the app (ConfigEvents calls it for every change). */
  forget(appId: string): void {
    this.#providers.delete(appId);
    this.#identities.delete(appId);
  }

  #cached<T>(cache: LruMap<string, Cached<T>>, appId: string, load: () => Promise<T>): Promise<T> {
    const now = this.deps.now();
    const hit = cache.get(appId);
    if (hit && hit.until > now) return hit.value;
    const value = load();
    const entry = { value, until: now + CONFIG_TTL_MS };
    cache.set(appId, entry);
    // A failed read (database down) is not kept: the next call reads again.
    value.catch(() => {
      if (cache.get(appId) === entry) cache.delete(appId);
    });
    return value;
  }

  async #loadProviders(appId: string): Promise<AppProviders> {
    const rows = await this.deps.store.providers.listForApp(appId);
    const keyring = await this.deps.keys.current();
    const own = new Map<string, ResolvedProvider>();
    const disabled = new Set<string>();
    for (const row of rows) {
      if (!row.enabled) {
        disabled.add(row.providerId);
        continue;
      }
      try {
        own.set(row.providerId, resolveProvider(openStoredProvider(row, keyring)));
      } catch (error) {
        // One unusable row (a catalog entry this version lacks, an unreadable secret) must not
        // take the app's other providers down with it.
        this.deps.logger.error(
          { appId, providerId: row.providerId, reason: (error as Error).message },
          "stored provider cannot be used; fix it with `grantvault-server providers update`",
        );
        disabled.add(row.providerId);
      }
    }
    const shadowed = new Set([...own.keys(), ...disabled]);
    const offered = [...own.values(), ...this.#builtIns.filter((provider) => !shadowed.has(provider.id))];
    const byId = new Map(offered.map((provider) => [provider.id, provider]));
    return {
      get: (id) => byId.get(id),
      isDisabled: (id) => disabled.has(id),
      list: () => [...offered],
      ids: () => offered.map((provider) => provider.id),
    };
  }

  async #loadIdentity(appId: string): Promise<AppIdentity | undefined> {
    const row = await this.deps.store.identityProviders.get(appId);
    if (!row) return this.#builtInIdentities.get(appId);
    if (!row.enabled) return undefined;
    const keyring = await this.deps.keys.current();
    const clientSecret = keyring.open(row.sealedSecret, bindingOf(IDENTITY_SECRET_FIELD, row.appId));
    return appIdentityOf({
      ...(row.config as Omit<IdentityProviderConfig, "app" | "clientSecret">),
      app: appId,
      clientSecret,
    });
  }
}

function appIdentityOf(config: IdentityProviderConfig): AppIdentity {
  return { provider: resolveIdentityProvider(config), audience: config.audience ?? config.clientId };
}
