import { buildOpenApiDocument } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";

/**
 * `GET /openapi.json`: the API contract (built from the protocol's schemas), for client
 * generators. Built on the first request and kept: most vaults are never asked, and building it
 * would lengthen every start.
 */
export function registerGetOpenApi(app: FastifyInstance): void {
  let document: string | undefined;
  app.get("/openapi.json", async (_request, reply) => {
    document ??= JSON.stringify(buildOpenApiDocument());
    reply.type("application/json; charset=utf-8").header("cache-control", "public, max-age=300");
    return document;
  });
}
