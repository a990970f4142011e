import { randomBytes } from "node:crypto";

/** A random identifier that says what it names, e.g. `app_5f0c…`, `grant_…` (96 random bits). */
export function newId(prefix: "app" | "key" | "grant"): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}
