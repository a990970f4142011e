import type {
  ApiKeyScope,
  AppBody,
  CreateAppRequest,
  CreateAppResponse,
  ListAppsResponse,
  UpdateAppRequest,
} from "@grantvault/protocol";
import type { VaultHttp } from "../http.js";
import { appPath } from "./paths.js";

/** An app as the admin API shows it. */
export interface App {
  appId: string;
  name: string;
  /** A disabled app's keys are refused and its connects stop; enable it again to resume. */
  enabled: boolean;
  /** Web origins allowed as Connect.js popup origins and redirect return URLs. */
  allowedOrigins: string[];
  /** A grant connected for a signed-in user is usable only with that user's token. */
  userGrantsNeedUserToken: boolean;
  createdAt: Date;
}

export interface CreateAppOptions {
  name: string;
  allowedOrigins?: string[];
}

export interface UpdateAppOptions {
  name?: string;
  allowedOrigins?: string[];
  userGrantsNeedUserToken?: boolean;
  enabled?: boolean;
}

/** A new app and its first API key (every scope). The whole key is shown only here: keep it. */
export interface CreatedApp {
  app: App;
  apiKey: { apiKeyId: string; apiKey: string; prefix: string; scopes: ApiKeyScope[] };
}

/**
 * The vault's apps (`VaultAdmin.apps`). An operator key sees and manages every app and alone
 * creates apps; an app's key with the `admin` scope sees and manages its own app only.
 */
export class AppsAdmin {
  readonly #http: VaultHttp;

  constructor(http: VaultHttp) {
    this.#http = http;
  }

  /** Every app (operator key), or the caller's own app (an app's admin key). */
  async list(): Promise<App[]> {
    const body = await this.#http.call<ListAppsResponse>("GET", "/v1/apps");
    return body.apps.map(toApp);
  }

  async get(appId: string): Promise<App> {
    return toApp(await this.#http.call<AppBody>("GET", appPath(appId)));
  }

  /** A new app and its first API key (operator keys only). */
  async create(options: CreateAppOptions): Promise<CreatedApp> {
    const body: CreateAppRequest = {
      name: options.name,
      ...(options.allowedOrigins === undefined ? {} : { allowed_origins: options.allowedOrigins }),
    };
    const created = await this.#http.call<CreateAppResponse>("POST", "/v1/apps", { body });
    return {
      app: toApp(created.app),
      apiKey: {
        apiKeyId: created.api_key.api_key_id,
        apiKey: created.api_key.api_key,
        prefix: created.api_key.prefix,
        scopes: created.api_key.scopes as ApiKeyScope[],
      },
    };
  }

  /** Changes only the fields given. */
  async update(appId: string, changes: UpdateAppOptions): Promise<App> {
    const body: UpdateAppRequest = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
      ...(changes.allowedOrigins === undefined ? {} : { allowed_origins: changes.allowedOrigins }),
      ...(changes.userGrantsNeedUserToken === undefined
        ? {}
        : { user_grants_need_user_token: changes.userGrantsNeedUserToken }),
    };
    return toApp(await this.#http.call<AppBody>("PATCH", appPath(appId), { body }));
  }

  /** Stops the app: its keys are refused until it is enabled again. Nothing is deleted. */
  disable(appId: string): Promise<App> {
    return this.update(appId, { enabled: false });
  }

  enable(appId: string): Promise<App> {
    return this.update(appId, { enabled: true });
  }

  /** Deletes the app with its keys, providers, grants and their tokens. Cannot be undone. */
  async delete(appId: string): Promise<void> {
    await this.#http.call("DELETE", appPath(appId));
  }
}

function toApp(body: AppBody): App {
  return {
    appId: body.app_id,
    name: body.name,
    enabled: body.enabled,
    allowedOrigins: body.allowed_origins,
    userGrantsNeedUserToken: body.user_grants_need_user_token,
    createdAt: new Date(body.created_at),
  };
}
