import type { HealthResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";

/** `GET /healthz`: the process is up. Says nothing about dependencies (that is /readyz). */
export function registerGetHealthz(app: FastifyInstance): void {
  app.get("/healthz", async (): Promise<HealthResponse> => ({ status: "ok" }));
}
