import type { AppInfoResponse } from "@grantvault/protocol";
import { errorFromResponse, NetworkError, VaultError, VaultValueError } from "./errors.js";

export interface VaultOptions {
  /** Defaults to the `GRANTVAULT_API_KEY` environment variable. */
  apiKey?: string;
  /** Defaults to `GRANTVAULT_URL`, else `http://127.0.0.1:7400` (the embedded default). */
  baseUrl?: string;
  /** For tests and unusual runtimes; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

export interface AppInfo {
  appId: string;
  name: string;
  /** The display prefix of the key in use (what audit rows show). */
  apiKeyPrefix: string;
}

const DEFAULT_BASE_URL = "http://127.0.0.1:7400";

/**
 * A client of one Grantvault server, acting for one app (the app of its API key).
 *
 * @example
 * const vault = new Vault(); // GRANTVAULT_API_KEY and GRANTVAULT_URL from the environment
 * const { name } = await vault.getApp();
 */
export class Vault {
  readonly baseUrl: string;
  // Private so it never shows in JSON, inspection or error output.
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;

  constructor(options: VaultOptions = {}) {
    const apiKey = options.apiKey ?? process.env.GRANTVAULT_API_KEY;
    if (!apiKey) {
      throw new VaultValueError(
        "invalid_argument",
        "no API key: pass { apiKey } or set GRANTVAULT_API_KEY (`grantvault-server apps create` prints one)",
      );
    }
    const baseUrl = options.baseUrl ?? process.env.GRANTVAULT_URL ?? DEFAULT_BASE_URL;
    if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
      throw new VaultValueError(
        "invalid_argument",
        `baseUrl must be an http(s) URL, got ${JSON.stringify(baseUrl)}`,
      );
    }
    this.#apiKey = apiKey;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Which app this client's API key belongs to; a cheap way to check the key works. */
  async getApp(): Promise<AppInfo> {
    const body = await this.#call<AppInfoResponse>("GET", "/v1/app");
    return { appId: body.app_id, name: body.name, apiKeyPrefix: body.api_key_prefix };
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new NetworkError("network_error", `cannot reach the vault at ${this.baseUrl}`, { cause });
    }
    const parsed: unknown = await response.json().catch(() => null);
    if (!response.ok) throw errorFromResponse(response.status, parsed);
    if (parsed === null) {
      throw new VaultError("unexpected_response", `the vault answered ${response.status} without JSON`, {
        status: response.status,
      });
    }
    return parsed as T;
  }
}
