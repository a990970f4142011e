import type { AppBody, IdentityProviderBody, ProviderBody } from "@grantvault/protocol";
import type { AppView } from "../control/app-admin.js";
import type { IdentityProviderView } from "../control/identity-provider-admin.js";
import type { ProviderView } from "../control/provider-admin.js";

/** The admin API's answers, from the services' views (times as ISO 8601, never a secret). */
export function appBody(app: AppView): AppBody {
  return {
    app_id: app.id,
    name: app.name,
    enabled: app.enabled,
    allowed_origins: app.allowedOrigins,
    user_grants_need_user_token: app.userGrantsNeedUserToken,
    created_at: new Date(app.createdAt).toISOString(),
  };
}

export function providerBody(provider: ProviderView): ProviderBody {
  return {
    provider_id: provider.id,
    enabled: provider.enabled,
    redirect_uri: provider.redirectUri,
    created_at: new Date(provider.createdAt).toISOString(),
    updated_at: new Date(provider.updatedAt).toISOString(),
    document: provider.document,
  };
}

export function identityProviderBody(identity: IdentityProviderView): IdentityProviderBody {
  return {
    app_id: identity.appId,
    enabled: identity.enabled,
    redirect_uri: identity.redirectUri,
    created_at: new Date(identity.createdAt).toISOString(),
    updated_at: new Date(identity.updatedAt).toISOString(),
    document: identity.document,
  };
}
