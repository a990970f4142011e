import { Readable, Transform } from "node:stream";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { AccessCaller, AccessRequest, CredentialAccess } from "./credential-access.js";

/** Request bodies passed to providers, at most. */
export const PROXY_REQUEST_LIMIT_BYTES = 10 * 1024 * 1024; // 10 MiB
/** Response bodies passed back, at most; a larger one is cut off with an error. */
export const PROXY_RESPONSE_LIMIT_BYTES = 50 * 1024 * 1024; // 50 MiB
const UPSTREAM_TIMEOUT_MS = 60_000;

/** Headers the caller may never set: the vault injects the credential. */
export const FORBIDDEN_FORWARD_HEADERS = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "x-api-key",
]);
/** Hop-by-hop and framing headers, which describe one connection, not the message (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "proxy-authenticate",
  "content-length",
  "host",
]);

export interface ProxyResult {
  status: number;
  headers: Record<string, string>;
  body: Readable | null;
}

/**
 * Proxy mode: the same gate as retrieve mode, then the vault makes the call itself — the token
 * never leaves it. Bodies stream both ways within size limits; redirects are returned, not
 * followed (they could lead elsewhere with the credential).
 */
export class ProxyCall {
  constructor(
    private readonly deps: {
      access: CredentialAccess;
      audit: AuditLog;
      clock: Clock;
      logger: Logger;
      fetch: typeof fetch;
    },
  ) {}

  async forward(
    caller: AccessCaller,
    grantId: string,
    request: AccessRequest & { headers: Record<string, string>; body: Readable | null },
  ): Promise<ProxyResult> {
    for (const name of Object.keys(request.headers)) {
      if (FORBIDDEN_FORWARD_HEADERS.has(name.toLowerCase())) throw new VaultError("forbidden_header");
    }
    const granted = await this.deps.access.grant(caller, grantId, request);
    const started = this.deps.clock.now();
    const hasBody = request.body !== null && !["GET", "HEAD"].includes(request.method);
    let response: Response;
    try {
      response = await this.deps.fetch(request.url, {
        method: request.method,
        headers: { ...withoutHopByHop(request.headers), ...granted.headers },
        ...(hasBody
          ? {
              body: Readable.toWeb(
                limited(request.body as Readable, PROXY_REQUEST_LIMIT_BYTES),
              ) as ReadableStream,
              duplex: "half",
            }
          : {}),
        redirect: "manual",
        signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS),
      } as RequestInit);
    } catch (error) {
      // fetch reports a failing request body as a TypeError whose cause is ours.
      if (error instanceof PayloadTooLarge || (error as Error | null)?.cause instanceof PayloadTooLarge) {
        throw new VaultError("payload_too_large");
      }
      throw new VaultError("upstream_unreachable", { cause: error });
    }
    const target = new URL(request.url);
    await this.deps.audit
      .append({
        appId: caller.appId,
        type: "request.proxied",
        grantId,
        providerId: granted.grant.providerId,
        apiKeyPrefix: caller.keyPrefix,
        reason: request.reason ?? null,
        context: request.context ?? null,
        details: {
          method: request.method,
          host: target.host,
          path: target.pathname,
          status: response.status,
          latency_ms: this.deps.clock.now() - started,
        },
      })
      .catch((error: unknown) => this.deps.logger.error({ err: error }, "audit append failed"));
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name) && name !== "set-cookie") headers[name] = value;
    });
    return {
      status: response.status,
      headers,
      body: response.body
        ? limited(Readable.fromWeb(response.body as never), PROXY_RESPONSE_LIMIT_BYTES)
        : null,
    };
  }
}

class PayloadTooLarge extends Error {}

/** Passes a stream through, failing it once more than `limit` bytes went by. */
function limited(source: Readable, limit: number): Readable {
  let seen = 0;
  return source.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        seen += chunk.length;
        if (seen > limit) callback(new PayloadTooLarge(`more than ${limit} bytes`));
        else callback(null, chunk);
      },
    }),
  );
}

function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}
