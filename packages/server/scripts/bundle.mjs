#!/usr/bin/env node
// Bundles the compiled server (dist/, from `tsc -b`) into dist/bundle/: one module for the CLI and
// a chunk per lazily loaded part. A cold start then reads a few files instead of resolving and
// loading about a thousand, which halves the time to the first answer (bench/README.md, Footprint).
// Native and lazily loaded dependencies stay outside: better-sqlite3 (an addon), pg (only with
// PostgreSQL) and oidc-provider (only with --demo).
import { rm } from "node:fs/promises";
import { build } from "esbuild";

const root = new URL("..", import.meta.url);
// Chunks are named by content hash: old ones would pile up.
await rm(new URL("dist/bundle", root), { recursive: true, force: true });

await build({
  entryPoints: { "grantvault-server": new URL("dist/cli.js", root).pathname },
  outdir: new URL("dist/bundle", root).pathname,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  // Dynamic imports (the demo provider, metrics) become chunks loaded only when used.
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: ["better-sqlite3", "pg", "pg-native", "oidc-provider"],
  // CommonJS dependencies bundled into an ES module still call `require` for Node's built-ins.
  banner: {
    js: 'import { createRequire as __gvRequire } from "node:module"; const require = __gvRequire(import.meta.url);',
  },
  legalComments: "eof",
  logLevel: "warning",
});
