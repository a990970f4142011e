import { z } from "zod";

/** `GET /v1/app`: the app the calling API key belongs to. */
export const AppInfoResponse = z
  .object({
    app_id: z.string(),
    name: z.string(),
    api_key_prefix: z.string(),
  })
  .strict();
export type AppInfoResponse = z.infer<typeof AppInfoResponse>;
