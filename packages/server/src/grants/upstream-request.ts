import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";

/** What the provider answered: the body still streaming. */
export interface UpstreamResponse {
  status: number;
  /** Lower-case names; repeated headers (Set-Cookie) as arrays. */
  headers: http.IncomingHttpHeaders;
  body: Readable;
}

export interface UpstreamRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Piped to the provider; an error on it aborts the call with that error. */
  body: Readable | null;
  timeoutMs: number;
}

/**
 * Connections to providers are kept open between calls: proxy mode makes many calls to few hosts,
 * and a new TCP (and TLS) handshake per call would cost more than the call.
 */
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 256 }),
};

/**
 * One HTTP request to a provider's API, on Node's own client (a fraction of `fetch`'s cost per
 * call). Redirects are not followed: they are returned like any other answer.
 */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  const client = request.url.protocol === "https:" ? https : http;
  const agent = agents[request.url.protocol as keyof typeof agents];
  return new Promise((resolve, reject) => {
    const outgoing = client.request(request.url, {
      method: request.method,
      headers: request.headers,
      agent,
      timeout: request.timeoutMs,
    });
    outgoing.on("response", (incoming) => {
      resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, body: incoming });
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error(`no answer within ${request.timeoutMs} ms`)));
    outgoing.on("error", reject);
    if (request.body) {
      request.body.on("error", (error) => outgoing.destroy(error));
      request.body.pipe(outgoing);
    } else {
      outgoing.end();
    }
  });
}
