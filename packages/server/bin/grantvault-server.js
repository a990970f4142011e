#!/usr/bin/env node
// A committed entry point, so npm links the command at install time (before anything is built);
// it runs the compiled CLI that `npm run build` (or `npm start`) produces.
try {
  await import("../dist/cli.js");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes("dist/cli.js")) throw error;
  process.stderr.write("grantvault-server: not built yet: run `npm run build` in the repository first\n");
  process.exitCode = 1;
}
