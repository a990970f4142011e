import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { ERROR_CODES, type ErrorCode } from "@grantvault/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerClientError } from "../../packages/server/src/testing.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/*
 * Issue 12, item 11: every answer is the documented `{error:{code,message}}` envelope, also for
 * requests Node's HTTP parser or Fastify's router refuse before any route runs. Requests are sent
 * as raw bytes over a socket: an HTTP client would refuse to send most of them.
 */

let vault: TestVault;
let port: number;

beforeAll(async () => {
  vault = await startTestVault();
  await vault.app.listen({ host: "127.0.0.1", port: 0 });
  port = (vault.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await vault?.close();
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses one HTTP/1.1 answer with a Content-Length; null until it has arrived whole. */
function parseAnswer(bytes: Buffer): RawAnswer | null {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const [statusLine = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"]);
  const body = bytes.subarray(end + 4);
  if (!Number.isInteger(length) || body.length < length) return null;
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: body.subarray(0, length).toString("utf8"),
  };
}

/** Sends `request` as is and reads the one answer (or fails after 5 s). */
function sendRaw(request: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(request.toString("latin1").slice(0, 80))}`));
    }, 5_000);
    const finish = () => {
      const answer = parseAnswer(Buffer.concat(chunks));
      if (!answer) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
      return true;
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      finish();
    });
    socket.on("close", () => {
      if (!finish()) {
        clearTimeout(timer);
        reject(
          new Error(
            `closed without a complete answer to ${JSON.stringify(request.toString("latin1").slice(0, 80))}: ${JSON.stringify(Buffer.concat(chunks).toString("latin1"))}`,
          ),
        );
      }
    });
    socket.on("error", () => {});
    socket.write(request);
  });
}

/** The answer is our envelope, with a registry code whose status is the answer's. */
function expectEnvelope(answer: RawAnswer, what: string): ErrorCode {
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  expect(answer.status, what).toBeLessThan(500);
  expect(answer.headers["content-type"], what).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body) as { error: { code: ErrorCode; message: string } };
  expect(body, what).toStrictEqual({ error: { code: expect.any(String), message: expect.any(String) } });
  expect(ERROR_CODES[body.error.code]?.status, what).toBe(answer.status);
  return body.error.code;
}

/** A small seeded generator: the same 300 requests on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PATHS = [
  "/v1/grants/",
  "/v1/connect/sessions/",
  "/connect/",
  "/v1/oauth/callback/",
  "/healthz",
  "/v1/app",
];
/** Bytes no request line or header may hold raw: controls, DEL, non-ASCII. */
const CONTROL = [...Array(32).keys()].filter((b) => b !== 9 && b !== 10 && b !== 13).concat(127);
const NON_ASCII = [...Array(128).keys()].map((b) => b + 128);
/** Bytes not allowed in a header name (RFC 9110 tchar). */
const NOT_TCHAR = [...' ()/[]{}"<>@,;=?\\'].map((c) => c.charCodeAt(0)).concat(CONTROL, NON_ASCII);

function malformedRequests(count: number): { kind: string; bytes: Buffer }[] {
  const next = random(12);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const word = () =>
    Array.from({ length: 1 + Math.floor(next() * 6) }, () =>
      String.fromCharCode(97 + Math.floor(next() * 26)),
    ).join("");
  const line = (target: Buffer, headers = "Host: vault\r\n") =>
    Buffer.concat([Buffer.from("GET "), target, Buffer.from(` HTTP/1.1\r\n${headers}\r\n`)]);
  const withByte = (byte: number) =>
    Buffer.concat([Buffer.from(pick(PATHS) + word()), Buffer.from([byte]), Buffer.from(word())]);
  const kinds: Record<string, () => Buffer> = {
    "space in the path": () => line(Buffer.from(`${pick(PATHS)}${word()} ${word()}`)),
    "raw non-ASCII in the path": () => line(withByte(pick(NON_ASCII))),
    "control byte in the path": () => line(withByte(pick(CONTROL))),
    "bad byte in a header name": () =>
      Buffer.concat([
        Buffer.from(`GET ${pick(PATHS)} HTTP/1.1\r\nHost: vault\r\nX-${word()}`),
        Buffer.from([pick(NOT_TCHAR)]),
        Buffer.from(`${word()}: 1\r\n\r\n`),
      ]),
    "control byte in a header value": () =>
      Buffer.concat([
        Buffer.from(`GET ${pick(PATHS)} HTTP/1.1\r\nHost: vault\r\nX-Test: ${word()}`),
        Buffer.from([pick(CONTROL)]),
        Buffer.from(`${word()}\r\n\r\n`),
      ]),
    "broken percent-encoding": () =>
      line(
        Buffer.from(
          `${pick(["/v1/grants/", "/connect/", "/v1/connect/sessions/"])}${pick(["%", "%z", "%zz", "%C0", "%E0%A4%A", "%ff%fe"])}`,
        ),
      ),
    "bad method": () =>
      Buffer.from(
        `${pick(["G@T", "GE T", "GET\x01", "(GET)", "G\xe9T"])} / HTTP/1.1\r\nHost: vault\r\n\r\n`,
        "latin1",
      ),
    "bad version": () =>
      Buffer.from(
        `GET / ${pick(["HTTP/9.9", "HTTP/1", "HTTX/1.1", "http/1.1", "HTTP/1.1x"])}\r\nHost: vault\r\n\r\n`,
      ),
    "no Host header": () => Buffer.from(`GET ${pick(PATHS)} HTTP/1.1\r\n\r\n`),
    "path parameter too long": () =>
      line(Buffer.from(`/v1/grants/${"g".repeat(101 + Math.floor(next() * 2000))}`)),
    "request line too long": () => line(Buffer.from(`/v1/${"a".repeat(17_000 + Math.floor(next() * 5000))}`)),
  };
  const names = Object.keys(kinds);
  return Array.from({ length: count }, (_, index) => {
    const kind = names[index % names.length] as string;
    return { kind, bytes: (kinds[kind] as () => Buffer)() };
  });
}

describe("malformed requests get the error envelope (issue 12, item 11)", () => {
  it("answers each of 300 malformed requests with the envelope and a 4xx registry code", async () => {
    const requests = malformedRequests(300);
    const codes = new Map<string, Set<string>>();
    // A few at a time: many sockets at once would measure the machine, not the vault.
    for (let start = 0; start < requests.length; start += 10) {
      await Promise.all(
        requests.slice(start, start + 10).map(async ({ kind, bytes }) => {
          const answer = await sendRaw(bytes);
          const code = expectEnvelope(
            answer,
            `${kind}: ${JSON.stringify(bytes.toString("latin1").slice(0, 80))}`,
          );
          codes.set(kind, (codes.get(kind) ?? new Set()).add(code));
        }),
      );
    }
    expect(Object.fromEntries([...codes].map(([kind, set]) => [kind, [...set].sort()]))).toStrictEqual({
      "space in the path": ["malformed_request"],
      "raw non-ASCII in the path": ["malformed_request"],
      "control byte in the path": ["malformed_request"],
      "bad byte in a header name": ["malformed_request"],
      "control byte in a header value": ["malformed_request"],
      "broken percent-encoding": ["malformed_request"],
      "bad method": ["malformed_request"],
      "bad version": ["malformed_request"],
      "no Host header": ["malformed_request"],
      "path parameter too long": ["uri_too_long"],
      "request line too long": ["headers_too_large"],
    });
  });

  it("keeps the envelope for unknown paths and methods a route does not have", async () => {
    for (const [method, path] of [
      ["GET", "/nowhere"],
      ["PUT", "/v1/app"],
      ["DELETE", "/healthz"],
      ["PATCH", "/v1/grants"],
    ] as const) {
      const answer = await sendRaw(
        Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: vault\r\nContent-Length: 0\r\n\r\n`),
      );
      expect(expectEnvelope(answer, `${method} ${path}`)).toBe("route_not_found");
    }
  });

  it("answers a request too slow to arrive with request_timeout (408) in the envelope", async () => {
    // Node raises this clientError after the request timeout; the handler is checked on a real socket.
    const server = createServer((socket: Socket) => {
      answerClientError(Object.assign(new Error("timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" }), socket);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = connect((server.address() as { port: number }).port, "127.0.0.1");
    const chunks: Buffer[] = [];
    client.on("data", (chunk: Buffer) => chunks.push(chunk));
    await once(client, "close");
    server.close();
    const answer = parseAnswer(Buffer.concat(chunks));
    expect(answer).not.toBeNull();
    expect(expectEnvelope(answer as RawAnswer, "timeout")).toBe("request_timeout");
  });
});
