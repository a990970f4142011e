import type {
  ApiKeyScope,
  ApiKeyStatus,
  ApiKeyView,
  CreateApiKeyRequest,
  CreateApiKeyResponse,
  ListApiKeysResponse,
  UpdateApiKeyRequest,
} from "@grantvault/protocol";
import type { VaultHttp } from "../http.js";
import { apiKeyPath, appPath, isoTime } from "./paths.js";

export type { ApiKeyStatus };

/** An app's API key as listed and shown: never the key itself (the vault keeps only its hash). */
export interface ApiKey {
  apiKeyId: string;
  appId: string;
  name: string | null;
  /** The first characters of the key, enough to recognise it (what audit rows show). */
  prefix: string;
  scopes: ApiKeyScope[];
  status: ApiKeyStatus;
  createdAt: Date;
  /** The key that created this one; null when the operator did. */
  createdBy: string | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  disabledAt: Date | null;
  revokedAt: Date | null;
}

/** A new key. The whole key (`apiKey`) is shown only here: keep it. */
export interface CreatedApiKey {
  apiKeyId: string;
  appId: string;
  apiKey: string;
  prefix: string;
  name: string | null;
  scopes: ApiKeyScope[];
  expiresAt: Date | null;
}

export interface CreateApiKeyOptions {
  name?: string;
  /** Default: every scope but `admin`; never more than the calling key's own. */
  scopes?: ApiKeyScope[];
  /** When the key stops working; null or left out: never. */
  expiresAt?: Date | string | null;
}

export interface UpdateApiKeyOptions {
  /** null clears the name. */
  name?: string | null;
  scopes?: ApiKeyScope[];
  /** null: never expires. */
  expiresAt?: Date | string | null;
  enabled?: boolean;
}

/** An app's API keys (`VaultAdmin.apiKeys`): mint, narrow, disable and revoke them. */
export class ApiKeysAdmin {
  readonly #http: VaultHttp;

  constructor(http: VaultHttp) {
    this.#http = http;
  }

  async list(appId: string): Promise<ApiKey[]> {
    const body = await this.#http.call<ListApiKeysResponse>("GET", `${appPath(appId)}/api-keys`);
    return body.api_keys.map(toApiKey);
  }

  async get(appId: string, keyId: string): Promise<ApiKey> {
    return toApiKey(await this.#http.call<ApiKeyView>("GET", apiKeyPath(appId, keyId)));
  }

  async create(appId: string, options: CreateApiKeyOptions = {}): Promise<CreatedApiKey> {
    const body: CreateApiKeyRequest = {
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
      ...(options.expiresAt === undefined ? {} : { expires_at: isoTime(options.expiresAt) }),
    };
    const created = await this.#http.call<CreateApiKeyResponse>("POST", `${appPath(appId)}/api-keys`, {
      body,
    });
    return {
      apiKeyId: created.api_key_id,
      appId: created.app_id,
      apiKey: created.api_key,
      prefix: created.prefix,
      name: created.name,
      scopes: created.scopes,
      expiresAt: date(created.expires_at),
    };
  }

  /** Changes only the fields given; scopes never beyond the calling key's own. */
  async update(appId: string, keyId: string, changes: UpdateApiKeyOptions): Promise<ApiKey> {
    const body: UpdateApiKeyRequest = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.scopes === undefined ? {} : { scopes: changes.scopes }),
      ...(changes.expiresAt === undefined ? {} : { expires_at: isoTime(changes.expiresAt) }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
    };
    return toApiKey(await this.#http.call<ApiKeyView>("PATCH", apiKeyPath(appId, keyId), { body }));
  }

  /** The key is refused until enabled again. */
  disable(appId: string, keyId: string): Promise<ApiKey> {
    return this.update(appId, keyId, { enabled: false });
  }

  enable(appId: string, keyId: string): Promise<ApiKey> {
    return this.update(appId, keyId, { enabled: true });
  }

  /** Revokes the key for good, effective at once. */
  async delete(appId: string, keyId: string): Promise<void> {
    await this.#http.call("DELETE", apiKeyPath(appId, keyId));
  }
}

function date(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}

function toApiKey(body: ApiKeyView): ApiKey {
  return {
    apiKeyId: body.api_key_id,
    appId: body.app_id,
    name: body.name,
    prefix: body.prefix,
    scopes: body.scopes,
    status: body.status,
    createdAt: new Date(body.created_at),
    createdBy: body.created_by,
    lastUsedAt: date(body.last_used_at),
    expiresAt: date(body.expires_at),
    disabledAt: date(body.disabled_at),
    revokedAt: date(body.revoked_at),
  };
}
