import type { HealthResponse } from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import { VaultError } from "../../errors.js";
import type { Store } from "../../storage/store.js";

/** `GET /readyz`: the database answers; a load balancer stops routing here while it does not. */
export function registerGetReadyz(app: FastifyInstance, store: Store): void {
  app.get("/readyz", async (): Promise<HealthResponse> => {
    if (!(await store.ping())) throw new VaultError("not_ready");
    return { status: "ok" };
  });
}
