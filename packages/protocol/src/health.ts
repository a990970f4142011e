import { z } from "zod";

/** `GET /healthz` and `GET /readyz`. */
export const HealthResponse = z.object({ status: z.literal("ok") }).strict();
export type HealthResponse = z.infer<typeof HealthResponse>;
