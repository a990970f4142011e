import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";

export interface JsonExchange {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * How the SDK talks to the vault and, in retrieve mode, to providers. By default over Node's own
 * HTTP client with kept-alive connections: every `vault.request()` makes two calls, and Node's
 * client costs a fraction of `fetch` per call — in CPU, and in garbage: each `fetch` leaves
 * objects behind that only a full collection frees. With a caller-supplied `fetch` (tests,
 * unusual runtimes), over that.
 */

/** One request to the vault, the answer read whole. Rejects on network errors (and with the signal's reason). */
export type JsonTransport = (
  url: string,
  exchange: JsonExchange,
) => Promise<{ status: number; text: string }>;

/** Over a caller-supplied `fetch` (tests, unusual runtimes). */
export function fetchTransport(fetchImpl: typeof fetch): JsonTransport {
  return async (url, { method, headers, body, signal }) => {
    const response = await fetchImpl(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(signal ? { signal } : {}),
    });
    return { status: response.status, text: await response.text() };
  };
}

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * One exchange on Node's own HTTP client; resolves when the answer's head arrives. Idle kept-alive
 * connections do not keep a script running.
 */
function nodeRequest(
  url: string,
  options: {
    method: string;
    headers: Record<string, string>;
    body?: string | Uint8Array;
    signal?: AbortSignal;
  },
): Promise<http.IncomingMessage> {
  const { method, headers, body, signal } = options;
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const outgoing = client.request(target, {
      method,
      headers:
        body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) },
      agent: agents[target.protocol as keyof typeof agents],
      ...(signal ? { signal } : {}),
    });
    outgoing.on("response", resolve);
    outgoing.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
    outgoing.end(body);
  });
}

export const nodeTransport: JsonTransport = async (url, { method, headers, body, signal }) => {
  const incoming = await nodeRequest(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
  return { status: incoming.statusCode ?? 0, text: (await readWhole(incoming)).toString("utf8") };
};

/**
 * The rest of an answer's body. With plain listeners: an async iterator over the stream costs
 * more than a small body does.
 */
function readWhole(incoming: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    incoming.on("error", reject);
    // A connection dropped mid-answer may end the stream without an error: never wait forever.
    incoming.on("close", () => {
      if (!incoming.complete) reject(new Error("the connection closed before the answer was complete"));
    });
  });
}

export interface StreamExchange {
  method: string;
  headers: Headers;
  body?: RequestInit["body"] | undefined;
  signal?: AbortSignal | undefined;
}

/** One request to the vault whose answer streams (proxy mode): a standard Response. */
export type StreamTransport = (url: string, exchange: StreamExchange) => Promise<Response>;

export function fetchStreamTransport(fetchImpl: typeof fetch): StreamTransport {
  return (url, { method, headers, body, signal }) =>
    fetchImpl(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body, duplex: "half" }),
      ...(signal ? { signal } : {}),
    } as RequestInit);
}

/** Answers up to this size, with a Content-Length, are read whole instead of streamed. */
const READ_WHOLE_LIMIT_BYTES = 64 * 1024;

/** Statuses whose Response may not have a body (the Fetch standard's null body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * Over Node's HTTP client for the bodies calls usually have (none, text, bytes); anything else
 * (streams, forms, blobs) goes through `fetch`, which knows how to encode it.
 */
export const nodeStreamTransport: StreamTransport = (url, exchange) =>
  nodeResponse(url, exchange, fetchStreamTransport(globalThis.fetch));

/**
 * Sent to providers in retrieve mode unless the call sets its own (some APIs, GitHub's, refuse a
 * request without one); the Python SDK sends `grantvault-python/<version>`.
 */
export const PROVIDER_USER_AGENT = "grantvault-node";

/**
 * A call to a provider (retrieve mode), answered as `fetch` answers, with the differences proxy
 * mode has too: redirects are returned, never followed (they could lead elsewhere with the
 * credential), and no Accept-Encoding is added, so bodies arrive as the provider sent them.
 */
export function providerTransport(fetchImpl: typeof fetch | undefined): StreamTransport {
  const viaFetch: StreamTransport = (url, { method, headers, body, signal }) =>
    (fetchImpl ?? globalThis.fetch)(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body, duplex: "half" }),
      redirect: "manual",
      ...(signal ? { signal } : {}),
    } as RequestInit);
  if (fetchImpl) return viaFetch;
  return async (url, exchange) => {
    const response = await nodeResponse(url, exchange, viaFetch);
    // What `fetch` reports: where the answer came from (never another URL: no redirects).
    if (response.url === "") Object.defineProperty(response, "url", { value: url });
    return response;
  };
}

async function nodeResponse(
  url: string,
  exchange: StreamExchange,
  fallback: StreamTransport,
): Promise<Response> {
  const { method, headers, body, signal } = exchange;
  if (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array)) {
    return fallback(url, exchange);
  }
  const incoming = await nodeRequest(url, {
    method,
    headers: Object.fromEntries(headers),
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
  const answer = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
      answer.append(name, one);
  }
  const status = incoming.statusCode ?? 502;
  const init = { status, statusText: incoming.statusMessage ?? "", headers: answer };
  if (NULL_BODY_STATUSES.has(status)) {
    incoming.resume();
    return new Response(null, init);
  }
  // Small answers of known length are read whole: a web stream costs more than the body.
  const length = Number(incoming.headers["content-length"]);
  if (Number.isInteger(length) && length <= READ_WHOLE_LIMIT_BYTES) {
    return new Response(await readWhole(incoming), init);
  }
  return new Response(Readable.toWeb(incoming) as ReadableStream, init);
}
