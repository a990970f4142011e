import type { IdentityProviderBody, IdentityProviderDocument } from "@grantvault/protocol";
import type { VaultHttp } from "../http.js";
import { appPath } from "./paths.js";

export type { IdentityProviderDocument };

/** An app's identity provider (sign-in, user tokens) as the admin API shows it: no secret. */
export interface IdentityProvider {
  appId: string;
  enabled: boolean;
  /** Register this at the identity provider as the OAuth client's redirect URI. */
  redirectUri: string;
  createdAt: Date;
  updatedAt: Date;
  document: Omit<IdentityProviderDocument, "clientSecret">;
}

/** Some fields of the document, and `enabled`: what `update()` changes. */
export type IdentityProviderChanges = Partial<IdentityProviderDocument> & { enabled?: boolean };

/** The OIDC provider an app signs its users in with (`VaultAdmin.identityProvider`). */
export class IdentityProviderAdmin {
  readonly #http: VaultHttp;

  constructor(http: VaultHttp) {
    this.#http = http;
  }

  async get(appId: string): Promise<IdentityProvider> {
    return toIdentityProvider(await this.#http.call<IdentityProviderBody>("GET", path(appId)));
  }

  /** Sets the whole document (creating or replacing it); without `clientSecret` the stored one is kept. */
  async set(appId: string, document: IdentityProviderDocument): Promise<IdentityProvider> {
    const body = await this.#http.call<IdentityProviderBody>("PUT", path(appId), { body: document });
    return toIdentityProvider(body);
  }

  /** Changes only the fields given. */
  async update(appId: string, changes: IdentityProviderChanges): Promise<IdentityProvider> {
    const body = await this.#http.call<IdentityProviderBody>("PATCH", path(appId), { body: changes });
    return toIdentityProvider(body);
  }

  async delete(appId: string): Promise<void> {
    await this.#http.call("DELETE", path(appId));
  }
}

function path(appId: string): string {
  return `${appPath(appId)}/identity-provider`;
}

function toIdentityProvider(body: IdentityProviderBody): IdentityProvider {
  return {
    appId: body.app_id,
    enabled: body.enabled,
    redirectUri: body.redirect_uri,
    createdAt: new Date(body.created_at),
    updatedAt: new Date(body.updated_at),
    document: body.document as IdentityProvider["document"],
  };
}
