import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * The operator CLI's committed entry point, run as `npx grantvault-server` runs it: executed
 * itself, so its shebang's V8 flag applies, and it loads the bundle (build first: `npm run build`).
 */
export const SERVER_BIN = fileURLToPath(
  new URL("../../packages/server/bin/grantvault-server.js", import.meta.url),
);

/** A process the footprint bench started and measures from the outside. */
export interface MeasuredProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it wrote to stdout so far (the banner holds the first API key). */
  stdout(): string;
  /** Its resident set now and its peak so far, in MB (Linux: /proc/<pid>/status). */
  memory(): Promise<{ rssMb: number; peakMb: number }>;
  /** SIGTERM, then waits for it to exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/**
 * Spawns `command args` with only the environment given (plus PATH), so no GRANTVAULT_* setting of
 * the shell leaks into a measurement.
 */
export function spawnMeasured(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): MeasuredProcess {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
  });
  // Drained so a chatty process never blocks on a full pipe.
  child.stderr?.resume();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    pid: child.pid as number,
    stdout: () => out,
    memory: () => processMemory(child.pid as number),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS and VmHWM (the peak resident set) of a process, in MB. */
export async function processMemory(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/**
 * Asks `GET <url>` every `everyMs` until it answers 200, or rejects after `limitMs`. Resolves with
 * `performance.now()` when the 200 arrived.
 */
export async function waitForOk(url: string, process: MeasuredProcess, limitMs: number, everyMs = 2) {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    if (process.child.exitCode !== null) throw new Error(`the process exited (${process.child.exitCode})`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return performance.now();
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`${url} did not answer 200 within ${limitMs} ms`);
}
