/** Small, dependency-free readers for the untyped JSON that providers send back. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Walks `path` through nested objects; `undefined` as soon as a step is missing. */
export function pick(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Like `pick`, but only a non-empty string counts. */
export function pickString(value: unknown, ...path: string[]): string | undefined {
  const found = pick(value, ...path);
  return typeof found === "string" && found !== "" ? found : undefined;
}

/** The error an identity lookup throws when the provider's answer has no usable identifier. */
export function missingIdentifier(provider: string, detail: string): Error {
  return new Error(`${provider} identity lookup found no account identifier: ${detail}`);
}
