import type { ProviderDirectory } from "../control/provider-directory.js";
import { VaultError } from "../errors.js";
import { bindProvider } from "../providers/bind-provider.js";
import { UnsafeConnectionParams } from "../providers/connection-parameters.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { GrantRecord } from "../storage/grants-repository.js";

/**
 * The provider a grant's tokens belong to, bound to the grant's connection parameters (its
 * tenant's URLs and API hosts) — the one place every use of a grant (credential, proxy, refresh,
 * revocation) finds it, so none of them can use the provider's template or another tenant's URLs.
 * A refusal when the provider is disabled, gone, or its parameters no longer fit the grant's
 * values (the operator changed them: the user must connect again).
 */
export async function providerForGrant(
  providers: ProviderDirectory,
  grant: Pick<GrantRecord, "appId" | "providerId" | "connectionParams">,
): Promise<{ provider: ResolvedProvider } | { refusal: VaultError }> {
  const appProviders = await providers.forApp(grant.appId);
  const template = appProviders.get(grant.providerId);
  if (!template && appProviders.isDisabled(grant.providerId)) {
    return { refusal: new VaultError("provider_disabled") };
  }
  if (!template) {
    return {
      refusal: new VaultError("reauth_required", {
        message: `The provider ${grant.providerId} is no longer configured.`,
      }),
    };
  }
  try {
    return { provider: bindProvider(template, grant.connectionParams) };
  } catch (error) {
    if (!(error instanceof UnsafeConnectionParams)) throw error;
    return {
      refusal: new VaultError("reauth_required", {
        message: `The provider ${grant.providerId}'s connection parameters changed since this grant was made; connect again.`,
        cause: error,
      }),
    };
  }
}
