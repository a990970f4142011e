import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny node:http stand-in for real providers' token and identity endpoints, only to reproduce
 * their quirks. Each real URL is "mirrored" under the fake as `/<host><path>`, so
 * `https://github.com/login/oauth/access_token` lives at `<origin>/github.com/login/oauth/access_token`.
 */

export interface ReceivedRequest {
  method: string;
  /** Path under the fake, e.g. `/github.com/login/oauth/access_token`. */
  path: string;
  search: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export type FakeHandler = (request: ReceivedRequest) => FakeResponse;

export class FakeProvider {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    readonly received: ReceivedRequest[],
    private readonly routes: Map<string, FakeHandler>,
  ) {}

  static async start(): Promise<FakeProvider> {
    const received: ReceivedRequest[] = [];
    const routes = new Map<string, FakeHandler>();
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://fake");
        const request: ReceivedRequest = {
          method: req.method ?? "GET",
          path: url.pathname,
          search: url.search,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        received.push(request);
        const handler = routes.get(`${request.method} ${request.path}`);
        const answer: FakeResponse = handler
          ? handler(request)
          : { status: 404, body: { error: "not_found", path: request.path } };
        const isText = typeof answer.body === "string";
        res.writeHead(answer.status ?? 200, {
          "content-type": isText ? "text/plain" : "application/json",
          ...answer.headers,
        });
        res.end(isText ? answer.body : JSON.stringify(answer.body ?? {}));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new FakeProvider(server, `http://127.0.0.1:${port}`, received, routes);
  }

  /** Where the fake serves a real provider URL. */
  mirror(realUrl: string): string {
    const url = new URL(realUrl);
    return `${this.origin}/${url.host}${url.pathname}${url.search}`;
  }

  /** Answers `method` requests to the mirror of `realUrl`. */
  on(method: "GET" | "POST", realUrl: string, handler: FakeHandler): void {
    this.routes.set(`${method} ${new URL(this.mirror(realUrl)).pathname}`, handler);
  }

  /** Requests received at the mirror of `realUrl`. */
  requestsTo(realUrl: string): ReceivedRequest[] {
    const path = new URL(this.mirror(realUrl)).pathname;
    return this.received.filter((request) => request.path === path);
  }

  reset(): void {
    this.routes.clear();
    this.received.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.closeAllConnections();
      this.server.close((error) => (error ? reject(error) : resolve()));
    });
  }
}

/**
 * A fetch for the OAuth client that sends the given real origins to the fake, lets other loopback
 * URLs through, and refuses (and records) anything else: nothing may leave the machine.
 */
export function offlineFetch(fake: FakeProvider, realOrigins: string[], refused: string[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (realOrigins.includes(url.origin)) return fetch(fake.mirror(url.href), init);
    if (url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]") {
      return fetch(url, init);
    }
    refused.push(url.href);
    throw new Error(`test fetch refused a request to ${url.href} (not loopback, not a known provider host)`);
  };
}
