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

/** Like `pickString`, but a number (GitHub- or GitLab-style numeric ids) counts too, as its decimal. */
export function pickId(value: unknown, ...path: string[]): string | undefined {
  const found = pick(value, ...path);
  if (typeof found === "number" && Number.isSafeInteger(found)) return String(found);
  return typeof found === "string" && found !== "" ? found : undefined;
}

/**
 * One subject from its parts: a single part as it is, several as a JSON array, so that no choice
 * of parts (`a:b` + `c` versus `a` + `b:c`) can spell another account's subject.
 */
export function subjectOf(first: string, ...rest: string[]): string {
  return rest.length === 0 ? first : JSON.stringify([first, ...rest]);
}

/** The `email` of OIDC-style claims, only when `email_verified` is exactly `true`. */
export function verifiedEmail(claims: unknown): string | undefined {
  return pick(claims, "email_verified") === true ? pickString(claims, "email") : undefined;
}
