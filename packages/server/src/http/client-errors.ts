import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { VaultError } from "../errors.js";

/**
 * Requests Node's HTTP parser or Fastify's router refuse before any route runs (a space or raw
 * non-ASCII in the path, bad header bytes, a request too slow to arrive) answered with our
 * `{error:{code,message}}` envelope and registry codes, instead of the frameworks' own bodies.
 */

/** Node's parser errors (`clientError`) by code; everything else is a malformed request. */
const PARSER_CODES: Record<string, VaultError["code"]> = {
  ERR_HTTP_REQUEST_TIMEOUT: "request_timeout",
  HPE_HEADER_OVERFLOW: "headers_too_large",
};

/** Fastify's `clientErrorHandler`: the socket is answered directly (there is no request object yet). */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // The peer is gone: there is no one to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const vaultError = new VaultError(PARSER_CODES[error.code ?? ""] ?? "malformed_request", { cause: error });
  if (socket.writable) {
    const body = JSON.stringify(vaultError.toBody());
    socket.write(
      `HTTP/1.1 ${vaultError.status} ${STATUS_CODES[vaultError.status]}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        "Cache-Control: no-store\r\n" +
        "Connection: close\r\n\r\n" +
        body,
    );
  }
  socket.destroy();
}

/** Fastify's `frameworkErrors`: a URL its router cannot decode, or a path parameter too long. */
export function answerFrameworkError(
  error: Error & { code?: string },
  _request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const code =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? "uri_too_long"
      : error.code === "FST_ERR_BAD_URL"
        ? "malformed_request"
        : "internal_error";
  const vaultError = new VaultError(code, { cause: error });
  return reply.status(vaultError.status).send(vaultError.toBody());
}

/**
 * HTTP/1.1 requires a Host header. Node refuses a request without one with an empty 400 of its
 * own, so the server is created with `requireHostHeader: false` and the check is made here.
 */
export function requireHostHeader(app: FastifyInstance): void {
  app.addHook("onRequest", async (request) => {
    if (request.raw.httpVersion === "1.1" && request.headers.host === undefined) {
      throw new VaultError("malformed_request", { message: "An HTTP/1.1 request must have a Host header." });
    }
  });
}
