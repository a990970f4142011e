import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { VaultError } from "../../errors.js";
import type { PrometheusMetrics } from "../../metrics/prometheus-metrics.js";

/**
 * `GET /metrics`: the Prometheus exposition. With a token, only for `Authorization: Bearer <token>`
 * (the main port); without one, for whoever reaches the listener (the metrics port, loopback by
 * default).
 */
export function registerGetMetrics(
  app: FastifyInstance,
  metrics: PrometheusMetrics,
  token: string | undefined,
): void {
  const expected = token === undefined ? null : digest(token);
  app.get("/metrics", async (request, reply) => {
    if (expected !== null) {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      // Digests of equal length, compared in constant time: nothing learnt from the timing.
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        reply.header("www-authenticate", 'Bearer realm="metrics"');
        throw new VaultError("metrics_token_invalid");
      }
    }
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
