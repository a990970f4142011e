import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

/*
 * A few bench roles (a vault, the API) can run in their own OS process: a child Node process that
 * runs a TypeScript entry point under tsx, is driven over the IPC channel with request/answer
 * messages, and exits when told to or when the bench process goes away.
 */

interface RpcRequest {
  rpc: "request";
  id: number;
  method: string;
  params: unknown;
}

interface RpcAnswer {
  rpc: "answer";
  id: number;
  result?: unknown;
  error?: string;
}

/** A running child, as the bench process sees it. */
export interface ChildHandle {
  pid: number;
  /** Calls one of the child's handlers and resolves with its result (rejects with its error). */
  call<T>(method: string, params?: unknown): Promise<T>;
  /** Asks the child to finish (its `stop` handler, then exit); kills it if it does not within 10 s. */
  stop(): Promise<void>;
}

const START_TIME_LIMIT_MS = 60_000;
const STOP_TIME_LIMIT_MS = 10_000;

/**
 * Starts `entry` (a module under bench/support that calls serveParent()) in a child process and
 * calls its `start` handler with `params`; resolves with the child and what `start` answered. The
 * child's output goes to this process's stderr (stdout stays free for the report).
 */
export async function startChild<T>(
  entry: URL,
  label: string,
  params: unknown,
): Promise<{ child: ChildHandle; started: T }> {
  const child = fork(fileURLToPath(entry), [], {
    // The same TypeScript loader as the bench itself, resolved from here (not from the cwd).
    execArgv: ["--import", import.meta.resolve("tsx")],
    stdio: ["ignore", 2, 2, "ipc"],
    serialization: "advanced",
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitCode = code;
      for (const { reject } of pending.values()) {
        reject(new Error(`${label} (pid ${child.pid}) exited (${signal ?? `code ${code}`})`));
      }
      pending.clear();
      resolve();
    });
  });
  child.on("message", (message: RpcAnswer) => {
    if (message?.rpc !== "answer") return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error === undefined) waiter.resolve(message.result);
    else waiter.reject(new Error(`${label}: ${message.error}`));
  });
  child.on("error", () => {}); // reported through "exit" and the pending calls

  const call = <T>(method: string, callParams?: unknown): Promise<T> => {
    if (exitCode !== undefined) return Promise.reject(new Error(`${label} is not running`));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const request: RpcRequest = { rpc: "request", id, method, params: callParams };
      child.send(request, (error) => {
        if (error && pending.delete(id)) reject(error);
      });
    });
  };
  const stop = async (): Promise<void> => {
    if (exitCode !== undefined) return;
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIME_LIMIT_MS);
    try {
      await call("stop").catch(() => {});
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const timer = setTimeout(() => child.kill("SIGKILL"), START_TIME_LIMIT_MS);
  let started: T;
  try {
    started = await call<T>("start", params);
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return { child: { pid: child.pid as number, call, stop }, started };
}

/** A child's handlers: `start` is called first; `stop`, when given, before the child exits. */
export type Handlers = Record<string, (params: unknown) => Promise<unknown> | unknown>;

/**
 * In the child: answers the bench process's calls — the given handlers, and `cpuMicros` (this
 * process's CPU time so far, user + system, in µs) — and exits after `stop` or when the bench
 * process is gone.
 */
export function serveParent(handlers: Handlers): void {
  const stop = handlers.stop ?? (() => undefined);
  handlers.cpuMicros ??= () => cpuMicros();
  const answer = (reply: RpcAnswer, then?: () => void) => {
    process.send?.(reply, undefined, {}, () => then?.());
  };
  process.on("message", async (message: RpcRequest) => {
    if (message?.rpc !== "request") return;
    const isStop = message.method === "stop";
    try {
      const handler = isStop ? stop : handlers[message.method];
      if (!handler) throw new Error(`no handler for ${message.method}`);
      const result = await handler(message.params);
      answer(
        { rpc: "answer", id: message.id, result: result ?? null },
        isStop ? () => process.exit(0) : undefined,
      );
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      answer({ rpc: "answer", id: message.id, error: text }, isStop ? () => process.exit(1) : undefined);
    }
  });
  // The bench process ended (or crashed): do not linger.
  process.on("disconnect", async () => {
    try {
      await stop(undefined);
    } finally {
      process.exit(0);
    }
  });
}

/** This process's CPU time so far (user + system, all threads), in µs. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
