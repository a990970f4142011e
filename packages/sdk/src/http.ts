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
  readonly #timeoutMs: number;

  constructor(
    readonly baseUrl: string,
    apiKey: string,
    channels: { json: JsonTransport; streams: StreamTransport },
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.#apiKey = apiKey;
    this.#transport = channels.json;
    this.#streams = channels.streams;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * One JSON call. It fails with NetworkError when the answer has not arrived within the timeout;
   * a long-poll asking the vault to hold it `waitMs` gets that much longer.
   */
  async call<T>(
    method: string,
    path: string,
    options: { body?: unknown; signal?: AbortSignal; waitMs?: number } = {},
  ): Promise<T> {
    const { body, signal } = options;
    const limit = new Deadline(this.#timeoutMs + (options.waitMs ?? 0), signal);
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
        signal: limit.signal,
      });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw this.#networkError(limit, cause);
    } finally {
      limit.end();
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
    // The timeout and the caller's signal apply until the answer's head arrives (small answers are
    // whole by then); a streamed body is ended with `response.body.cancel()`. Nothing is left
    // attached to the caller's signal, however long it lives.
    const limit = new Deadline(this.#timeoutMs, init.signal);
    try {
      return await this.#streams(`${this.baseUrl}${path}`, { method, ...init, signal: limit.signal });
    } catch (cause) {
      if (init.signal?.aborted) throw init.signal.reason;
      throw this.#networkError(limit, cause);
    } finally {
      limit.end();
    }
  }

  #networkError(limit: Deadline, cause: unknown): NetworkError {
    return limit.expired
      ? new NetworkError(
          "network_error",
          `the vault at ${this.baseUrl} did not answer within ${limit.ms} ms (the Vault's \`timeout\` option)`,
          { cause },
        )
      : new NetworkError("network_error", `cannot reach the vault at ${this.baseUrl}`, { cause });
  }

  toJSON(): { baseUrl: string } {
    return { baseUrl: this.baseUrl };
  }
}

/** How long the SDK waits for the vault's answer by default (beyond a long-poll's own wait). */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A signal that aborts after `ms`, or when the caller's signal does. Plain listeners, removed at
 * the end: a long-lived caller signal keeps nothing per call (what `AbortSignal.any` would).
 */
class Deadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #outer: AbortSignal | undefined;
  readonly #follow = () => this.#controller.abort(this.#outer?.reason);
  expired = false;

  constructor(
    readonly ms: number,
    outer: AbortSignal | undefined,
  ) {
    this.#outer = outer;
    this.#timer = setTimeout(() => {
      this.expired = true;
      this.#controller.abort(new Error(`no answer within ${ms} ms`));
    }, ms);
    if (outer?.aborted) this.#follow();
    else outer?.addEventListener("abort", this.#follow, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  end(): void {
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener("abort", this.#follow);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
