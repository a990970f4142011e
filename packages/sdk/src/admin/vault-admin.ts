import type { VaultHttp } from "../http.js";
import { openVaultChannel, type VaultChannelOptions } from "../vault-channel.js";
import { ApiKeysAdmin } from "./api-keys.js";
import { AppsAdmin } from "./apps.js";
import { IdentityProviderAdmin } from "./identity-provider.js";
import { ProvidersAdmin } from "./providers.js";

export type VaultAdminOptions = VaultChannelOptions;

/**
 * The control plane of one Grantvault server (admin API, issue 15): apps, their providers,
 * identity provider and API keys, for scripting an operator's setup. Takes an operator key
 * (`gv_op_…`, every app) or an app's key with the `admin` scope (that app only); it finds key and
 * URL the way `new Vault()` does. Refusals are the SDK's usual errors: a key without the scope gets
 * `insufficient_scope`, another app's id `not_found`, an invalid document `invalid_request` with
 * every problem in `issues`.
 *
 * @example
 * const admin = new VaultAdmin({ apiKey: process.env.GRANTVAULT_OPERATOR_KEY });
 * const { app, apiKey } = await admin.apps.create({ name: "billing" });
 * await admin.providers.create(app.appId, { id: "github", catalog: "github", clientId, clientSecret });
 */
export class VaultAdmin {
  readonly apps: AppsAdmin;
  readonly providers: ProvidersAdmin;
  readonly identityProvider: IdentityProviderAdmin;
  readonly apiKeys: ApiKeysAdmin;
  readonly #http: VaultHttp;

  constructor(options: VaultAdminOptions = {}) {
    this.#http = openVaultChannel(options);
    this.apps = new AppsAdmin(this.#http);
    this.providers = new ProvidersAdmin(this.#http);
    this.identityProvider = new IdentityProviderAdmin(this.#http);
    this.apiKeys = new ApiKeysAdmin(this.#http);
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}
