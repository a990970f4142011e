import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** The body of every successful `GET /ping`. */
export const PONG = '{"pong":true}';

/**
 * A provider API reduced to the least it can do, on 127.0.0.1: `GET /ping` answers 200 with a
 * small JSON body when the Authorization header is exactly the expected one, 401 otherwise;
 * anything else is 404. Checking the token is a string compare — no introspection — so a call's
 * time is the HTTP round trip itself, and what the vault adds shows on its own.
 */
export interface PingApi {
  baseUrl: string;
  /** Sets the one Authorization header value accepted (`Bearer <token>`). */
  expect(authorization: string): void;
  /** Requests answered so far, by outcome. */
  counts(): { ok: number; refused: number };
  stop(): Promise<void>;
}

export async function startPingApi(): Promise<PingApi> {
  let expected: string | undefined;
  const counts = { ok: 0, refused: 0 };
  const server = createServer((req, res) => {
    // A GET has no body; drain anything else so the connection stays usable.
    req.resume();
    const send = (status: number, body: string) => {
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (req.method !== "GET" || req.url !== "/ping") {
      send(404, '{"message":"Not Found"}');
    } else if (expected === undefined || req.headers.authorization !== expected) {
      counts.refused++;
      send(401, '{"message":"Bad credentials"}');
    } else {
      counts.ok++;
      send(200, PONG);
    }
  });
  // Longer than any pause in a run: a measured call never pays for a new connection.
  server.keepAliveTimeout = 60_000;

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
    expect(authorization) {
      expected = authorization;
    },
    counts: () => ({ ...counts }),
    stop() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
