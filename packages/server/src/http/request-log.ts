import { type FastifyReply, type FastifyRequest, LogController } from "fastify";

/** The level of the lines Fastify writes for every request: received, answered, route not found. */
export type RequestLogLevel = "info" | "debug";

/**
 * Fastify's per-request lines at a chosen level. At `info` (Fastify's own), two lines per request
 * scroll the startup banner, and the one-time API key in it, out of sight; `serve` makes them
 * debug lines unless the operator chose a log level. Errors keep their levels: a failed request
 * is logged whatever this says.
 */
export class RequestLog extends LogController {
  constructor(private readonly level: RequestLogLevel) {
    super();
  }

  override incomingRequest(request: FastifyRequest): void {
    request.log[this.level]({ req: request }, "incoming request");
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (error) super.requestCompleted(error, request, reply);
    else reply.log[this.level]({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }

  override routeNotFound(request: FastifyRequest): void {
    const { url, method } = request.raw;
    request.log[this.level](`Route ${method}:${url} not found`);
  }
}
