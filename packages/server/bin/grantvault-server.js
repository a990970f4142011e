#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 --max-old-space-size=96
// A committed entry point, so npm links the command at install time (before anything is built).
// It runs the bundled CLI (dist/bundle/, made by `npm run build`), which starts in half the time
// of the compiled modules it is made from, unless those were compiled after it (a developer ran
// `tsc -b` alone): a stale bundle must never run.
// The shebang keeps memory down (bench/README.md, Footprint): a small young generation (2 MB
// semi-spaces instead of up to 16 MB), an old generation capped at 96 MB (V8 otherwise lets it
// grow far past what the vault uses, about 20 MB live; the cap makes it collect sooner) and two
// malloc arenas instead of eight per core. Run as `node path/to/cli.js`, set them yourself, or
// give a larger heap with `node --max-old-space-size=N path/to/cli.js`.
import { statSync } from "node:fs";
import module from "node:module";

// Node 22+ keeps compiled code between starts; Node 20 has no such cache.
module.enableCompileCache?.();

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
