import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The built server entry point; `npm test` builds it (tsc -b) before running tests. */
export const SERVER_ENTRY = fileURLToPath(new URL("../../packages/server/dist/cli.js", import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `grantvault-server` as a real process on a free port and waits for its banner.
 * Fails with the process output when it exits or does not come up in time.
 */
export async function startServerProcess(options: {
  cwd: string;
  env?: Record<string, string>;
  args?: string[];
  timeoutMs?: number;
}): Promise<ServerProcess> {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [SERVER_ENTRY, "serve", "--port", "0", ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = capture(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`server did not start in time\nstdout:\n${output.stdout()}\nstderr:\n${output.stderr()}`),
      );
    }, options.timeoutMs ?? 30_000);
    const poll = setInterval(() => {
      const match = /listening on (http:\/\/[^\s]+)/.exec(output.stdout());
      if (match?.[1]) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(match[1]);
      }
    }, 20);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(
        new Error(`server exited with ${code}\nstdout:\n${output.stdout()}\nstderr:\n${output.stderr()}`),
      );
    });
  });

  return {
    child,
    baseUrl,
    stdout: output.stdout,
    stderr: output.stderr,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a Node entry point to completion with a clean environment, capturing its output. */
export function runNodeEntry(
  entry: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CliRun> {
  const child = spawn(process.execPath, [entry, ...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input);
  const output = capture(child);
  return new Promise((resolve) =>
    child.once("close", (code) => resolve({ code, stdout: output.stdout(), stderr: output.stderr() })),
  );
}

/** Runs the server CLI to completion (for commands that exit), capturing its output. */
export function runServerCli(
  args: string[],
  /** `input`: written to the command's standard input (else it has none). */
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<CliRun> {
  return runNodeEntry(SERVER_ENTRY, args, options);
}

/** Collects a child's stdout and stderr as text. */
function capture(child: ChildProcess): { stdout(): string; stderr(): string } {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return { stdout: () => stdout, stderr: () => stderr };
}
