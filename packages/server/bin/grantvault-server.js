#!/usr/bin/env -S node --max-semi-space-size=2
// A committed entry point, so npm links the command at install time (before anything is built).
// It runs the bundled CLI (dist/bundle/, made by `npm run build`), which starts in half the time
// of the compiled modules it is made from, unless those were compiled after it (a developer ran
// `tsc -b` alone): a stale bundle must never run.
// The V8 flag keeps the young generation small (2 MB semi-spaces instead of up to 16 MB): the
// vault's resident memory under load stays near 100 MB for a few percent of throughput
// (bench/README.md, Footprint). With `node path/to/cli.js`, pass it yourself or in NODE_OPTIONS.
import { statSync } from "node:fs";

const bundle = new URL("../dist/bundle/grantvault-server.mjs", import.meta.url);
const modules = new URL("../dist/cli.js", import.meta.url);
const modified = (url) => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN;
const entry = modified(bundle) >= modified(modules) || Number.isNaN(modified(modules)) ? bundle : modules;
try {
  await import(entry.href);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(entry.pathname)) throw error;
  process.stderr.write("grantvault-server: not built yet: run `npm run build` in the repository first\n");
  process.exitCode = 1;
}
