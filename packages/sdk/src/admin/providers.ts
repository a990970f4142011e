import type { ListAppProvidersResponse, ProviderBody, ProviderDocument } from "@grantvault/protocol";
import type { VaultHttp } from "../http.js";
import { appPath, providerPath } from "./paths.js";

export type { ProviderDocument };

/** An app's provider as the admin API shows it: never its client secret. */
export interface AppProvider {
  providerId: string;
  enabled: boolean;
  /** Register this at the provider as the OAuth client's redirect URI. */
  redirectUri: string;
  createdAt: Date;
  updatedAt: Date;
  /** The provider document (a providers-file entry), without `clientSecret`. */
  document: Omit<ProviderDocument, "clientSecret">;
}

/** Some fields of a provider document, and `enabled`: what `update()` changes. */
export type ProviderChanges = Partial<ProviderDocument> & { enabled?: boolean };

/**
 * An app's providers (`VaultAdmin.providers`), each with its own OAuth client. A document is a
 * providers-file entry (camelCase); the vault checks it whole and lists every problem
 * (`VaultError` `invalid_request` with `issues`). Changes reach every server process within a
 * second.
 */
export class ProvidersAdmin {
  readonly #http: VaultHttp;

  constructor(http: VaultHttp) {
    this.#http = http;
  }

  /** The app's own providers, enabled or not (not the vault's built-in ones). */
  async list(appId: string): Promise<AppProvider[]> {
    const body = await this.#http.call<ListAppProvidersResponse>("GET", `${appPath(appId)}/providers`);
    return body.providers.map(toAppProvider);
  }

  async get(appId: string, providerId: string): Promise<AppProvider> {
    return toAppProvider(await this.#http.call<ProviderBody>("GET", providerPath(appId, providerId)));
  }

  /** Adds a provider (`document.id` names it); `clientSecret` is sealed and never shown again. */
  async create(appId: string, document: ProviderDocument): Promise<AppProvider> {
    const path = `${appPath(appId)}/providers`;
    return toAppProvider(await this.#http.call<ProviderBody>("POST", path, { body: document }));
  }

  /** Replaces the whole document; without `clientSecret` the stored one is kept. */
  async replace(appId: string, providerId: string, document: ProviderDocument): Promise<AppProvider> {
    const path = providerPath(appId, providerId);
    return toAppProvider(await this.#http.call<ProviderBody>("PUT", path, { body: document }));
  }

  /** Changes only the fields given (`enabled` too). */
  async update(appId: string, providerId: string, changes: ProviderChanges): Promise<AppProvider> {
    const path = providerPath(appId, providerId);
    return toAppProvider(await this.#http.call<ProviderBody>("PATCH", path, { body: changes }));
  }

  /** The app stops offering it (its grants cannot be used) until enabled again. */
  disable(appId: string, providerId: string): Promise<AppProvider> {
    return this.update(appId, providerId, { enabled: false });
  }

  enable(appId: string, providerId: string): Promise<AppProvider> {
    return this.update(appId, providerId, { enabled: true });
  }

  async delete(appId: string, providerId: string): Promise<void> {
    await this.#http.call("DELETE", providerPath(appId, providerId));
  }
}

function toAppProvider(body: ProviderBody): AppProvider {
  return {
    providerId: body.provider_id,
    enabled: body.enabled,
    redirectUri: body.redirect_uri,
    createdAt: new Date(body.created_at),
    updatedAt: new Date(body.updated_at),
    document: body.document as AppProvider["document"],
  };
}
