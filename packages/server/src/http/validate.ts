import type { z } from "zod";
import { VaultError } from "../errors.js";

/** Parses request input with a strict schema; every problem is reported at once as `invalid_request`. */
export function validate<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new VaultError("invalid_request", {
    issues: result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
  });
}
