import type { IdentityProviderConfig } from "../providers/provider-config.js";
import { resolveIdentityProvider } from "../providers/resolve-provider.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { AppRecord } from "../storage/apps-repository.js";

/** One app's identity provider: how users sign in, and what their tokens must say. */
export interface AppIdentity {
  provider: ResolvedProvider;
  /** The `aud` a user token must carry. */
  audience: string;
}

/** The identity providers of the providers file, found by app id or name. */
export class IdentityRegistry {
  readonly #byApp: ReadonlyMap<string, AppIdentity>;

  constructor(configs: readonly IdentityProviderConfig[]) {
    this.#byApp = new Map(
      configs.map((config) => [
        config.app,
        { provider: resolveIdentityProvider(config), audience: config.audience ?? config.clientId },
      ]),
    );
  }

  forApp(app: Pick<AppRecord, "id" | "name">): AppIdentity | undefined {
    return this.#byApp.get(app.id) ?? this.#byApp.get(app.name);
  }

  get size(): number {
    return this.#byApp.size;
  }
}
