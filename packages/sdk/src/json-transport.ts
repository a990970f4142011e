import http from "node:http";
import https from "node:https";

export interface JsonExchange {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
}

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
 * Over Node's own HTTP client with kept-alive connections: every `vault.request()` starts with one
 * of these calls, and Node's client costs a fraction of `fetch` per call. Idle kept-alive
 * connections do not keep a script running.
 */
export const nodeTransport: JsonTransport = (url, { method, headers, body, signal }) => {
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
    outgoing.on("response", (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
      );
      incoming.on("error", reject);
    });
    outgoing.on("error", (error) => reject(signal?.aborted ? signal.reason : error));
    outgoing.end(body);
  });
};
