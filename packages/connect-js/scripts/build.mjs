// Builds the two Connect.js bundles with esbuild, prints their gzipped sizes and fails (exit 1)
// when one is larger than the budget (5 KB; GV_CONNECT_MAX_GZIP_BYTES overrides it, for tests).
// Type declarations come from `tsc -b` (emitDeclarationOnly) into the same dist/ directory.
import { mkdir, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const limit = Number(process.env.GV_CONNECT_MAX_GZIP_BYTES ?? 5120);

// Browsers with optional chaining, AbortController and URL everywhere (Safari 14, Chrome/Edge 90, Firefox 88).
const target = ["chrome90", "edge90", "firefox88", "safari14"];

// UMD: AMD, CommonJS, or the global `GrantvaultConnect` for a plain <script> tag.
const umdHead =
  '(function(root,factory){if(typeof define=="function"&&define.amd)define([],factory);' +
  'else if(typeof module=="object"&&module.exports)module.exports=factory();' +
  'else root.GrantvaultConnect=factory()})(typeof self<"u"?self:this,function(){';
const umdTail = "return GrantvaultConnect});\n";

const bundles = [
  { entry: "src/index.ts", out: "dist/grantvault-connect.mjs", format: "esm" },
  { entry: "src/umd.ts", out: "dist/grantvault-connect.umd.js", format: "iife", umd: true },
];

await mkdir(`${root}/dist`, { recursive: true });
let over = 0;
for (const bundle of bundles) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [bundle.entry],
    bundle: true,
    minify: true,
    format: bundle.format,
    ...(bundle.umd ? { globalName: "GrantvaultConnect" } : {}),
    platform: "browser",
    target,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${bundle.entry}`);
  const code = bundle.umd ? `${umdHead}${output.text}${umdTail}` : output.text;
  // Written under a temporary name and renamed, so a concurrent reader never sees half a file.
  const file = `${root}/${bundle.out}`;
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, code);
  await rename(temporary, file);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const verdict = gzipped <= limit ? "ok" : "TOO LARGE";
  console.log(
    `connect-js: ${bundle.out.padEnd(31)} ${String(code.length).padStart(6)} B, ${String(gzipped).padStart(5)} B gzipped (limit ${limit} B) ${verdict}`,
  );
  if (gzipped > limit) over++;
}
if (over > 0) {
  console.error(`connect-js: ${over} bundle(s) over the ${limit}-byte gzipped budget`);
  process.exit(1);
}
