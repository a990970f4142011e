/**
 * node-oidc-provider's start-up warnings (`oidc-provider WARNING: …` through console.warn, at
 * import and in the Provider constructor) that the demo provider answers on purpose. The others
 * (in-memory storage, development signing keys) it avoids by configuration, so they still show if
 * they ever come back, as does any other warning.
 */
const EXPECTED_WARNINGS = [
  // It asks for Node 22; the vault supports Node 20, and the demo provider runs (and is tested) there.
  "Unsupported runtime",
  // The library's development login pages are the point of the demo: any name signs in.
  "devInteractions is enabled",
];

/** Runs `step` (importing oidc-provider, or constructing a Provider) without those warnings. */
export async function withoutExpectedWarnings<T>(step: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const [first] = args;
    const expected =
      typeof first === "string" &&
      first.includes("oidc-provider WARNING:") &&
      EXPECTED_WARNINGS.some((warning) => first.includes(warning));
    if (!expected) warn.apply(console, args);
  };
  try {
    return await step();
  } finally {
    console.warn = warn;
  }
}
