import { buildOpenApiDocument } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";

/** `GET /openapi.json`: the API contract (built once from the protocol's schemas), for client generators. */
export function registerGetOpenApi(app: FastifyInstance): void {
  const document = JSON.stringify(buildOpenApiDocument());
  app.get("/openapi.json", async (_request, reply) => {
    reply.type("application/json; charset=utf-8").header("cache-control", "public, max-age=300");
    return document;
  });
}
