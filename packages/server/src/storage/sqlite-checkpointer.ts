import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the worker moves the write-ahead log into the database file. */
const CHECKPOINT_INTERVAL_MS = 250;

/**
 * The worker's code. It is a string (run with `eval`) rather than a module file so that it works
 * the same from the TypeScript sources (tests, benchmarks) and from the built package.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const SQLite = require(workerData.driverPath);
const db = new SQLite(workerData.file);
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what no reader still needs, never waits for or blocks the server's writes.
    const [result] = db.pragma("wal_checkpoint(PASSIVE)");
    if (result.log > 0) parentPort.postMessage({ kind: "checkpointed", log: result.log, checkpointed: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ kind: "failed", message: String(error && error.message || error) });
  }
}, workerData.intervalMs);
parentPort.on("message", (message) => {
  if (message === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

export interface Checkpointer {
  /** The latest checkpoint that found a log: its frames, and how many of them are in the database file. */
  readonly last: { log: number; checkpointed: number } | null;
  stop(): Promise<void>;
}

type WorkerMessage =
  | { kind: "checkpointed"; log: number; checkpointed: number }
  | { kind: "failed"; message: string };

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection. A checkpoint writes
 * the log back into the database file and syncs it to disk; run by the server's connection (as
 * SQLite does every 1000 pages by default) it stalls the event loop for tens of milliseconds on
 * a slow disk, once every few hundred audit rows — which is what every caller's p99 showed. The
 * server's connection then has automatic checkpoints switched off (`wal_autocheckpoint = 0`).
 *
 * If the worker fails, `onFailure` is told once and the caller restores automatic checkpoints:
 * durability and a bounded log never depend on the worker.
 */
export function startCheckpointer(file: string, onFailure: (reason: string) => void): Checkpointer {
  const driverPath = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, driverPath, intervalMs: CHECKPOINT_INTERVAL_MS },
  });
  // The server's exit never waits for it.
  worker.unref();
  let last: Checkpointer["last"] = null;
  let failed = false;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    onFailure(reason);
  };
  worker.on("message", (message: WorkerMessage) => {
    if (message.kind === "checkpointed") last = { log: message.log, checkpointed: message.checkpointed };
    else fail(message.message);
  });
  worker.on("error", (error) => fail(error.message));
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    worker.on("exit", (code) => {
      if (!stopping) fail(`the checkpoint worker exited with code ${code}`);
      resolve();
    }),
  );
  return {
    get last() {
      return last;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      // Let it close its connection; a worker stuck in a checkpoint is terminated after 2 s.
      // Referenced meanwhile: the process must not end while its caller awaits this.
      worker.ref();
      worker.postMessage("stop");
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
