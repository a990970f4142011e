import { main } from "../../packages/server/src/testing.js";

/** What one run of the operator CLI printed, and its exit code. */
export interface InProcessCliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs the operator CLI's `main` in this process with `env` as its whole environment, collecting
 * what it prints: the cheap way to test commands that need no separate server process.
 */
export async function runCliInProcess(argv: string[], env: Record<string, string>): Promise<InProcessCliRun> {
  let out = "";
  let err = "";
  const code = await main(argv, env, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}
