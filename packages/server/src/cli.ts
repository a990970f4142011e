#!/usr/bin/env node
import { main } from "./cli/main.js";

// `serve` keeps the process alive through its listening socket; every other command ends here.
process.exitCode = await main(process.argv.slice(2), process.env);
