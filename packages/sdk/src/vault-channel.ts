import { VaultValueError } from "./errors.js";
import { DEFAULT_TIMEOUT_MS, VaultHttp } from "./http.js";
import { checkVaultTransport } from "./link-origin.js";
import { resolveVaultAccess } from "./local-credentials.js";
import { fetchStreamTransport, fetchTransport, nodeStreamTransport, nodeTransport } from "./transport.js";

/** How a client reaches its vault: shared by `Vault` and `VaultAdmin`, so both resolve alike. */
export interface VaultChannelOptions {
  /**
   * Defaults to the `GRANTVAULT_API_KEY` environment variable, else the key a local embedded vault
   * wrote to `.grantvault/credentials.json` in the working directory or a folder above it.
   */
  apiKey?: string;
  /**
   * Defaults to `GRANTVAULT_URL`, else the local credentials file's URL, else
   * `http://127.0.0.1:7400` (the embedded default).
   */
  baseUrl?: string;
  /**
   * Every HTTP call the SDK makes goes through this `fetch` when given (tests, unusual runtimes);
   * by default it uses Node's own HTTP client, which costs a fraction of the global `fetch`.
   */
  fetch?: typeof fetch;
  /**
   * Allow a plain-http `baseUrl` to a host other than loopback (the API key then travels in
   * cleartext). Default: refused, unless GRANTVAULT_ALLOW_INSECURE_HTTP=1.
   */
  allowInsecureHttp?: boolean;
  /** Milliseconds to wait for the vault's answer (beyond a long-poll's wait); default 30 000. */
  timeout?: number;
}

const DEFAULT_BASE_URL = "http://127.0.0.1:7400";

/**
 * The JSON channel to the vault for these options: key and URL as given, else from the
 * environment, else the local vault's credentials file; all checked before any network call.
 */
export function openVaultChannel(options: VaultChannelOptions): VaultHttp {
  const access = resolveVaultAccess(options);
  const baseUrl = access.baseUrl ?? DEFAULT_BASE_URL;
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new VaultValueError(
      "invalid_argument",
      `baseUrl must be an http(s) URL, got ${JSON.stringify(baseUrl)}`,
    );
  }
  checkVaultTransport(new URL(baseUrl), options.allowInsecureHttp);
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new VaultValueError("invalid_argument", "timeout must be a positive number of milliseconds");
  }
  return new VaultHttp(
    baseUrl.replace(/\/+$/, ""),
    access.apiKey,
    {
      json: options.fetch ? fetchTransport(options.fetch) : nodeTransport,
      streams: options.fetch ? fetchStreamTransport(options.fetch) : nodeStreamTransport,
    },
    timeout,
  );
}
