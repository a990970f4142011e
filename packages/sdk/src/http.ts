import { errorFromResponse, NetworkError, VaultError } from "./errors.js";
import type { JsonTransport, StreamTransport } from "./transport.js";

/**
 * The SDK's channel to the vault: JSON over HTTP with the API key. The key is a private field,
 * so it never shows in JSON, inspection or errors.
 */
export class VaultHttp {
  readonly #apiKey: string;
  readonly #transport: JsonTransport;
  readonly #streams: StreamTransport;

  constructor(
    readonly baseUrl: string,
    apiKey: string,
    channels: { json: JsonTransport; streams: StreamTransport },
  ) {
    this.#apiKey = apiKey;
    this.#transport = channels.json;
    this.#streams = channels.streams;
  }

  async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; signal?: AbortSignal } = {},
  ): Promise<T> {
    const { body, signal } = options;
    let response: { status: number; text: string };
    try {
      response = await this.#transport(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new NetworkError("network_error", `cannot reach the vault at ${this.baseUrl}`, { cause });
    }
    const parsed = parseJson(response.text);
    if (response.status < 200 || response.status > 299) throw errorFromResponse(response.status, parsed);
    if (parsed === null) {
      throw new VaultError("unexpected_response", `the vault answered ${response.status} without JSON`, {
        status: response.status,
      });
    }
    return parsed as T;
  }

  /** A raw request with the API key (proxy mode streams bodies both ways). Network errors become NetworkError. */
  async send(
    method: string,
    path: string,
    init: { headers: Headers; body?: RequestInit["body"]; signal?: AbortSignal },
  ): Promise<Response> {
    init.headers.set("authorization", `Bearer ${this.#apiKey}`);
    try {
      return await this.#streams(`${this.baseUrl}${path}`, { method, ...init });
    } catch (cause) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw new NetworkError("network_error", `cannot reach the vault at ${this.baseUrl}`, { cause });
    }
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
