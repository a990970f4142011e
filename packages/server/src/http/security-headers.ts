import { PROXY_HEADERS } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";

/**
 * Headers on every response: nothing here is meant to be framed, sniffed, cached or referred.
 * Except the provider's answers in proxy mode: they keep the provider's own CSP, Cache-Control and
 * X-Frame-Options, as the caller would get them calling the provider directly (F17).
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  // A callback hook, not an async one: it runs on every response, and has nothing to wait for.
  app.addHook("onSend", (_request, reply, payload, done) => {
    if (reply.getHeader(PROXY_HEADERS.proxied) === "1") {
      done(null, payload);
      return;
    }
    reply.header("x-content-type-options", "nosniff");
    reply.header("x-frame-options", "DENY");
    if (!reply.hasHeader("referrer-policy")) reply.header("referrer-policy", "no-referrer");
    reply.header("cache-control", "no-store");
    if (!reply.hasHeader("content-security-policy")) {
      reply.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    }
    done(null, payload);
  });
}
