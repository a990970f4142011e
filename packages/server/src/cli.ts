#!/usr/bin/env node
import { main } from "./cli/main.js";

// Output piped into a reader that stops early (`| head`) is not a failure of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// `serve` keeps the process alive through its listening socket; every other command ends here.
process.exitCode = await main(process.argv.slice(2), process.env);
