// Module resolution hooks (run in Node's hooks thread; see source-aliases.ts for why they exist).
// Plain JavaScript: the hooks thread loads this file before anything can transpile TypeScript for it.

const packagesUrl = new URL("../../packages/", import.meta.url);

/** Bare specifiers of the workspace packages → their TypeScript entry points (as in vitest.config.ts). */
const ALIASES = new Map([
  ["@grantvault/protocol", new URL("protocol/src/index.ts", packagesUrl).href],
  ["@grantvault/providers", new URL("providers/src/index.ts", packagesUrl).href],
  ["grantvault-server", new URL("server/src/index.ts", packagesUrl).href],
  ["grantvault", new URL("sdk/src/index.ts", packagesUrl).href],
]);

// Hands the source URL on to the next resolver (tsx's), which marks it as TypeScript for loading.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(ALIASES.get(specifier) ?? specifier, context);
}
