import { register } from "node:module";

/*
 * The vault's sources import the sibling workspace packages by name, which Node resolves to their
 * build output (`packages/<name>/dist`) — possibly stale, or missing before `npm run build`. Like
 * vitest.config.ts for the tests, the bench maps those names to the TypeScript sources, so it
 * measures the code in the tree. Import this module before anything that reaches the vault's code
 * (and load that code with a dynamic import: static imports are resolved before any module runs).
 */
register("./source-alias-hooks.mjs", import.meta.url);
