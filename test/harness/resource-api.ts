import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { IntrospectionResult } from "./oauth-provider.js";

/** One request the API received, recorded before authentication. */
export interface ResourceApiRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  /** Raw request body as text ("" when none). */
  body: string;
  /** The response status the API sent. */
  status: number;
  /** The token's subject when the bearer token was active. */
  sub?: string;
}

export interface ResourceApi {
  baseUrl: string;
  /** Requests received so far, oldest first. */
  requests(): ResourceApiRequest[];
  stop(): Promise<void>;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else query[key] = [existing, value];
  }
  return query;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

/**
 * A tiny GitHub-like API on 127.0.0.1 that accepts `Authorization: Bearer <token>` when the
 * authorization server's introspection says the token is active.
 *
 * - `GET /user` → `{ login: <sub>, id: <number>, scopes: [...] }`
 * - `* /echo` and `* /echo/...` → the method, path, query, headers and body it received
 * - `GET /headers` → 200 with headers of its own: a CSP, Cache-Control, X-Frame-Options and two
 *   Set-Cookie lines (what a proxied answer must keep)
 * - anything else → 404; a missing or inactive token → 401 `{ message: "Bad credentials" }`
 */
export async function startResourceApi(options: {
  oauth: { introspect(token: string): Promise<IntrospectionResult> };
}): Promise<ResourceApi> {
  const seen: ResourceApiRequest[] = [];
  const ids = new Map<string, number>();
  const idFor = (sub: string) => {
    let id = ids.get(sub);
    if (id === undefined) {
      id = 1000 + ids.size;
      ids.set(sub, id);
    }
    return id;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const record: ResourceApiRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: queryObject(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status: 0,
      };
      seen.push(record);
      const respond = (status: number, body: unknown) => {
        record.status = status;
        sendJson(res, status, body);
      };

      void (async () => {
        const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
        const token = match?.[1];
        const introspection = token ? await options.oauth.introspect(token) : undefined;
        if (!introspection?.active || !introspection.sub) {
          respond(401, { message: "Bad credentials" });
          return;
        }
        record.sub = introspection.sub;
        const scopes = introspection.scope ? introspection.scope.split(" ").filter(Boolean) : [];

        if (record.path === "/user" && record.method === "GET") {
          respond(200, { login: introspection.sub, id: idFor(introspection.sub), scopes });
        } else if (record.path === "/echo" || record.path.startsWith("/echo/")) {
          respond(200, {
            method: record.method,
            path: record.path,
            query: record.query,
            headers: record.headers,
            body: record.body,
          });
        } else if (record.path === "/headers" && record.method === "GET") {
          record.status = 200;
          res.writeHead(200, {
            "content-type": "text/plain",
            "content-security-policy": "sandbox",
            "cache-control": "public, max-age=60",
            "x-frame-options": "SAMEORIGIN",
            "set-cookie": ["a=1; Path=/", "b=2; Path=/"],
          });
          res.end("provider headers");
        } else if (record.path === "/moved" && typeof record.query.to === "string") {
          // A redirect to wherever `to` says, as an API that moved a resource answers.
          record.status = 302;
          res.writeHead(302, { location: record.query.to, "content-length": "0" });
          res.end();
        } else {
          respond(404, { message: "Not Found" });
        }
      })().catch((error: unknown) => {
        if (!res.headersSent) respond(500, { message: String(error) });
        else res.destroy();
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests: () => [...seen],
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
