import { validateHeaderName, validateHeaderValue } from "node:http";
import { type Readable, Transform } from "node:stream";
import { PROXY_HEADERS } from "@grantvault/protocol";
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { Logger } from "../logger.js";
import { NO_METRICS, timedGrantUse, type VaultMetrics } from "../metrics/vault-metrics.js";
import type { AccessRequest, CredentialAccess, GrantedAccess } from "./credential-access.js";
import { sendUpstream, type UpstreamResponse } from "./upstream-request.js";

/** Request bodies passed to providers, at most. */
export const PROXY_REQUEST_LIMIT_BYTES = 10 * 1024 * 1024; // 10 MiB
/** Response bodies passed back, at most; a larger one is cut off with an error. */
export const PROXY_RESPONSE_LIMIT_BYTES = 50 * 1024 * 1024; // 50 MiB
const UPSTREAM_TIMEOUT_MS = 60_000;
const USER_AGENT = "grantvault";

/** Headers the caller may never set: the vault injects the credential. */
export const FORBIDDEN_FORWARD_HEADERS = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "x-api-key",
]);
/**
 * Headers that make some APIs (Google's) perform another method than the one sent: the audit row
 * would say `GET` while the provider deletes (F16).
 */
const METHOD_OVERRIDE_HEADERS = new Set(["x-http-method-override", "x-http-method", "x-method-override"]);
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
  /** The provider's headers (hop-by-hop ones left out); repeated ones as arrays. */
  headers: Record<string, string | string[]>;
  /** Small answers of known length are read whole (cheaper to pass on); others stream. */
  body: Readable | Buffer | null;
  /** Non-null when the token was refreshed for this call. */
  refresh: GrantedAccess["refresh"];
}

type ForwardRequest = AccessRequest & { headers: Record<string, string>; body: Readable | null };

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
      metrics?: VaultMetrics;
    },
  ) {}

  /** `apiKey` as the caller presented it: CredentialAccess checks it together with the grant. */
  forward(apiKey: string, grantId: string, request: ForwardRequest): Promise<ProxyResult> {
    // Timed up to the provider's answer (headers); a streamed body is the client's pace, not ours.
    return timedGrantUse(this.deps.metrics ?? NO_METRICS, "proxy", () =>
      this.#forward(apiKey, grantId, request),
    );
  }

  async #forward(apiKey: string, grantId: string, request: ForwardRequest): Promise<ProxyResult> {
    checkForwardedHeaders(request.headers);
    const granted = await this.deps.access.grant(apiKey, grantId, request, "proxy");
    const { caller } = granted;
    const started = this.deps.clock.now();
    const target = new URL(request.url);
    const hasBody = request.body !== null && !["GET", "HEAD"].includes(request.method);
    let response: UpstreamResponse;
    try {
      response = await sendUpstream({
        method: request.method,
        url: target,
        // Some APIs (GitHub) refuse requests without a User-Agent; the caller's wins when forwarded.
        headers: { "user-agent": USER_AGENT, ...withoutHopByHop(request.headers), ...granted.headers },
        body: hasBody ? limited(request.body as Readable, PROXY_REQUEST_LIMIT_BYTES) : null,
        timeoutMs: UPSTREAM_TIMEOUT_MS,
      });
    } catch (error) {
      if (error instanceof PayloadTooLarge) throw new VaultError("payload_too_large");
      throw new VaultError("upstream_unreachable", { cause: error });
    }
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
    // Repeated headers (Set-Cookie) stay arrays: each value is passed on (F17).
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    return { status: response.status, headers, body: await bodyOf(response), refresh: granted.refresh };
  }
}

/**
 * Every forwarded header is judged before a credential is issued (and audited), so a bad one is
 * a clear 400 with nothing spent, not a 502 after the fact (F16).
 */
function checkForwardedHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (FORBIDDEN_FORWARD_HEADERS.has(lower)) throw new VaultError("forbidden_header");
    if (METHOD_OVERRIDE_HEADERS.has(lower)) throw new VaultError("method_override_refused");
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      // The name is the caller's own; the value is not echoed (it may be a secret).
      throw new VaultError("invalid_forwarded_header", {
        issues: [
          {
            path: `${PROXY_HEADERS.forwardPrefix}${name.slice(0, 100)}`,
            message: "invalid header name or value",
          },
        ],
      });
    }
  }
}

/** Answers up to this size, with a Content-Length, are read whole instead of streamed. */
const READ_WHOLE_LIMIT_BYTES = 64 * 1024;

/** The provider's body: read whole when small and of known length, else streamed within the limit. */
async function bodyOf(response: UpstreamResponse): Promise<Readable | Buffer> {
  const length = Number(response.headers["content-length"]);
  if (!Number.isInteger(length) || length > READ_WHOLE_LIMIT_BYTES) {
    return limited(response.body, PROXY_RESPONSE_LIMIT_BYTES);
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of response.body) chunks.push(chunk as Buffer);
  } catch (error) {
    throw new VaultError("upstream_unreachable", { cause: error });
  }
  return Buffer.concat(chunks);
}

class PayloadTooLarge extends Error {}

/**
 * Passes a stream through, failing it once more than `limit` bytes went by. An error of the
 * source (a dropped connection) fails it too, so whoever reads it is never left waiting.
 */
function limited(source: Readable, limit: number): Readable {
  let seen = 0;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(new PayloadTooLarge(`more than ${limit} bytes`));
      else callback(null, chunk);
    },
  });
  source.on("error", (error) => guard.destroy(error));
  source.on("aborted", () => guard.destroy(new Error("the connection closed before the body ended")));
  return source.pipe(guard);
}

function withoutHopByHop(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}
