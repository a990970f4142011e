import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "../logger.js";
import type { PrometheusMetrics } from "../metrics/prometheus-metrics.js";
import { installErrorHandling } from "./error-handler.js";
import { registerGetMetrics } from "./routes/get-metrics.js";

/**
 * A listener of its own for `/metrics` (GRANTVAULT_METRICS_PORT): nothing of the API on it, so it
 * can be opened to the monitoring network while the vault's port is not (or the other way round).
 */
export async function startMetricsListener(
  metrics: PrometheusMetrics,
  where: { host: string; port: number; token: string | undefined },
  logger: Logger,
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // A scrape every few seconds is not worth a log line.
    disableRequestLogging: true,
  });
  installErrorHandling(app);
  registerGetMetrics(app, metrics, where.token);
  await app.listen({ host: where.host, port: where.port });
  return app;
}
