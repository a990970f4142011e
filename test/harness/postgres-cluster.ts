import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

const POSTGRES_ROOT = "/usr/lib/postgresql";

export interface PostgresCluster {
  /** Superuser connection URL, e.g. `postgres://postgres@127.0.0.1:54321/postgres`. */
  adminUrl: string;
  /** Stops the server (immediate shutdown) and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Returns the `bin` directory of the newest installed PostgreSQL major version, or undefined. */
async function findPostgresBinDir(): Promise<string | undefined> {
  let entries: string[];
  try {
    entries = await readdir(POSTGRES_ROOT);
  } catch {
    return undefined;
  }
  const versions = entries
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .filter((name) => {
      const bin = join(POSTGRES_ROOT, name, "bin");
      return existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"));
    })
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  const newest = versions[0];
  return newest === undefined ? undefined : join(POSTGRES_ROOT, newest, "bin");
}

/** Asks the kernel for a free TCP port on 127.0.0.1, releases it and returns the number. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not determine a free TCP port"));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

async function idOf(user: string, flag: "-u" | "-g"): Promise<number> {
  const { stdout } = await execFileAsync("id", [flag, user]);
  return Number.parseInt(stdout.trim(), 10);
}

/**
 * Starts a throwaway PostgreSQL cluster (trust auth, durability switched off, random port on
 * 127.0.0.1) in a fresh temporary directory. Throws if the server binaries are not installed.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binDir = await findPostgresBinDir();
  if (binDir === undefined) {
    throw new Error(
      `PostgreSQL server binaries not found (looked in ${POSTGRES_ROOT}/*/bin). ` +
        "Install them with `apt-get install -y postgresql` or set TEST_DATABASE_URL to an existing server.",
    );
  }

  const asRoot = process.getuid?.() === 0;
  const baseDir = await mkdtemp(join(tmpdir(), "gv-pg-"));
  const dataDir = join(baseDir, "data");
  const socketDir = join(baseDir, "sock");
  const logFile = join(baseDir, "server.log");

  // initdb and postgres refuse to run as root, so as root run them as the `postgres` user.
  const run = async (binary: string, args: string[]): Promise<void> => {
    const file = join(binDir, binary);
    const [command, commandArgs] = asRoot
      ? ["runuser", ["-u", "postgres", "--", file, ...args]]
      : [file, args];
    try {
      // cwd: the postgres user may not be able to read the caller's working directory.
      await execFileAsync(command, commandArgs, { cwd: baseDir, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message?: string };
      const log = await readFile(logFile, "utf8").catch(() => "");
      throw new Error(
        [`${binary} ${args.join(" ")} failed: ${e.message ?? String(error)}`, e.stdout, e.stderr, log]
          .filter((part) => part !== undefined && part.trim() !== "")
          .join("\n"),
        { cause: error },
      );
    }
  };

  let started = false;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (started) await run("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
    } finally {
      await rm(baseDir, { recursive: true, force: true });
    }
  };

  try {
    await mkdir(socketDir);
    if (asRoot) {
      const [uid, gid] = await Promise.all([idOf("postgres", "-u"), idOf("postgres", "-g")]);
      await chown(baseDir, uid, gid);
      await chown(socketDir, uid, gid);
    }

    // --locale=C keeps initdb independent of whichever locales the machine has installed.
    await run("initdb", [
      "-D",
      dataDir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale=C",
    ]);

    // The port is released before postgres binds it, so another process could grab it in
    // between; retry with a fresh port a couple of times in that unlikely case.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await findFreePort();
      const options = [
        `-p ${port}`,
        `-k ${socketDir}`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" ");
      try {
        // -l is required: without it the server inherits our stdout/stderr pipes and
        // execFile would never see them close.
        await run("pg_ctl", ["-w", "-t", "60", "-D", dataDir, "-l", logFile, "-o", options, "start"]);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
      }
    }
    started = true;

    return { adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
