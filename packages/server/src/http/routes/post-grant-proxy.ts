import type { Readable } from "node:stream";
import { CredentialRequest, GrantIdParams, PROXY_HEADERS } from "@grantvault/protocol";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { VaultError } from "../../errors.js";
import type { ProxyCall } from "../../grants/proxy-call.js";
import { presentedApiKeyOf } from "../api-key-auth.js";
import { validate } from "../validate.js";

/**
 * `POST /v1/grants/<id>/proxy` (proxy mode): the vault calls the provider with the grant's token
 * and answers with the provider's status, headers and body, marked `grantvault-proxied: 1`. The
 * target is in `grantvault-method` / `grantvault-url`; headers for the provider are sent as
 * `grantvault-forward-<name>`; the body streams through as is.
 */
export async function registerPostGrantProxy(scope: FastifyInstance, proxy: ProxyCall): Promise<void> {
  await scope.register(async (proxyScope) => {
    // Any body, unparsed: it is streamed to the provider (ProxyCall enforces the size limit).
    proxyScope.removeAllContentTypeParsers();
    proxyScope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

    proxyScope.post(
      "/grants/:id/proxy",
      { config: { keyCheckedWithGrant: true } },
      async (request, reply) => {
        const apiKey = presentedApiKeyOf(request);
        const { id } = validate(GrantIdParams, request.params);
        const target = validate(CredentialRequest, {
          method: headerOf(request, PROXY_HEADERS.method)?.toUpperCase(),
          url: headerOf(request, PROXY_HEADERS.url),
          reason: headerOf(request, PROXY_HEADERS.reason),
          context: parseContext(headerOf(request, PROXY_HEADERS.context)),
          user_token: headerOf(request, PROXY_HEADERS.userToken),
        });
        const forwarded: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) {
          if (name.startsWith(PROXY_HEADERS.forwardPrefix) && typeof value === "string") {
            forwarded[name.slice(PROXY_HEADERS.forwardPrefix.length)] = value;
          }
        }
        let result: Awaited<ReturnType<ProxyCall["forward"]>>;
        try {
          const { user_token: userToken, ...call } = target;
          result = await proxy.forward(apiKey, id, {
            ...call,
            userToken,
            headers: forwarded,
            body: (request.body as Readable | undefined) ?? null,
          });
        } catch (error) {
          // The caller may still be sending a body we will not read: end the connection after the answer.
          reply.header("connection", "close");
          throw error;
        }
        reply.status(result.status).headers(result.headers).header(PROXY_HEADERS.proxied, "1");
        if (result.refresh) {
          reply.header(
            PROXY_HEADERS.retryInfo,
            JSON.stringify({ refresh_attempts: result.refresh.attempts }),
          );
        }
        // The provider's answer is passed on as it is: installSecurityHeaders leaves proxied replies alone.
        return reply.send(result.body ?? "");
      },
    );
  });
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" ? value : undefined;
}

function parseContext(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    throw new VaultError("invalid_request", {
      issues: [{ path: PROXY_HEADERS.context, message: "is not JSON" }],
    });
  }
}
