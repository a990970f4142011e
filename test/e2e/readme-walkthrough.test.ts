import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { browserOpenerEnv } from "../harness/browser.js";

/**
 * The README's "three commands from a fresh clone" walkthrough, run literally: the command lines
 * are read from README.md (so the README and this test cannot drift apart), a fresh `git clone` of
 * the committed HEAD stands in for the newcomer's checkout, each line runs through `sh -c` in a
 * clean environment, and the sign-in happens in headless Chromium (BROWSER = browser-opener.mjs).
 * Nothing is configured between the commands: the CLI must find the key the first start saved in
 * the clone's .grantvault/credentials.json.
 *
 * Each step is timed; the table is printed and written as JSON to the OS temp directory. The times
 * are reported, not asserted (benchmarks own performance); only the test timeout bounds them.
 *
 * The README promises fixed ports (vault 7400, demo provider 7401), so this test uses them and
 * fails at once if something else holds them, rather than walking a different path than a reader.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const INTRO = "From a fresh clone to a grant used in a request";
const VAULT_PORT = 7400;
const DEMO_PORT = 7401;
const LOGIN = "reader";
const BANNER = "Grantvault is listening on";
const TIMES_FILE = join(tmpdir(), "grantvault-readme-walkthrough-times.json");

/** What each README line must start with, in order; the rest of the line runs as written. */
const STEPS = [
  { key: "install", prefix: "npm install" },
  { key: "start", prefix: "npm start" },
  { key: "connect", prefix: "npx grantvault connect" },
  { key: "list", prefix: "npx grantvault grants list" },
  { key: "request", prefix: "npx grantvault request" },
] as const;
type StepKey = (typeof STEPS)[number]["key"];

/** `grant_…` in the README's request line: the reader pastes the id from `grants list` there. */
const GRANT_PLACEHOLDER = /\bgrant_\S*…\S*/;

const MINUTE = 60_000;
const LIMITS_MS = { clone: MINUTE, install: 5 * MINUTE, start: 3 * MINUTE, connect: 2 * MINUTE, cli: MINUTE };

/** The README block's command lines by step, with `# …` comments stripped. */
async function readmeCommands(): Promise<Record<StepKey, string>> {
  const readme = await readFile(join(ROOT, "README.md"), "utf8");
  const introAt = readme.indexOf(INTRO);
  if (introAt < 0) throw new Error(`README.md no longer contains the sentence "${INTRO}"`);
  const block = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(introAt));
  const between = block ? readme.slice(introAt, introAt + block.index) : "";
  if (!block?.[1] || between.split("\n").length > 4) {
    throw new Error(`README.md: no \`\`\`sh block right after "${INTRO}"`);
  }
  const lines = block[1]
    .split("\n")
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line !== "");
  const found = STEPS.map((step, index) => {
    const line = lines[index];
    if (line !== step.prefix && !line?.startsWith(`${step.prefix} `)) {
      throw new Error(
        `README.md walkthrough line ${index + 1} is ${JSON.stringify(line)}; this test expects it to start with ` +
          `"${step.prefix}" (block lines: ${JSON.stringify(lines)}). Update README.md or this test together.`,
      );
    }
    return [step.key, line] as const;
  });
  if (lines.length !== STEPS.length) {
    throw new Error(`README.md walkthrough has ${lines.length} commands, this test knows ${STEPS.length}`);
  }
  return Object.fromEntries(found) as Record<StepKey, string>;
}

/** The first start prints the app's API key; it must not reach test output. */
function redact(text: string): string {
  return text.replace(/gv_live_\S+/g, "gv_live_[redacted]");
}

/**
 * A newcomer's shell: PATH without any node_modules/.bin (vitest's runner adds the repository's),
 * HOME (npm's cache and user config), network settings npm may need, and nothing of Grantvault's.
 */
/**
 * A directory holding the repository's compiled better-sqlite3 addon as the prebuilt tarball
 * prebuild-install would download (`better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz`).
 */
async function localSqlitePrebuild(work: string): Promise<string> {
  const sqlite = join(ROOT, "node_modules", "better-sqlite3");
  const { version } = JSON.parse(await readFile(join(sqlite, "package.json"), "utf8")) as { version: string };
  const dir = join(work, "prebuilds");
  await mkdir(dir, { recursive: true });
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const tar = spawn("tar", ["-czf", join(dir, name), "-C", sqlite, "build/Release/better_sqlite3.node"]);
  const code = await new Promise<number | null>((resolve) => tar.once("close", resolve));
  if (code !== 0) throw new Error(`tar of the better-sqlite3 addon exited ${code}`);
  return dir;
}

function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const path = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => !entry.includes(join("node_modules", ".bin")))
    .join(delimiter);
  const env: Record<string, string> = { PATH: path, HOME: process.env.HOME ?? tmpdir() };
  const kept = [
    "TMPDIR",
    "NODE_EXTRA_CA_CERTS",
    "npm_config_cache",
    "npm_config_userconfig",
    "npm_config_registry",
  ];
  for (const name of [
    ...kept,
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
  ]) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return { ...env, ...extra };
}

async function assertPortFree(port: number, role: string): Promise<void> {
  const server = createServer();
  const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    server.once("error", resolve);
    server.listen(port, "127.0.0.1", () => resolve(null));
  });
  if (error === null) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return;
  }
  throw new Error(
    `port ${port} (the README's ${role}) is not free (${error.code}): the walkthrough uses the fixed default ` +
      "ports, so stop whatever listens there (another `npm start`?) and run this test again",
  );
}

interface Shell {
  child: ChildProcess;
  output(): string;
  stdout(): string;
  closed: Promise<number | null>;
}

/** Every process group this test started, killed in `finally` whatever happened. */
const groups = new Set<Shell>();

/** Runs one command line as a reader's shell would, in its own process group. */
function shell(line: string, cwd: string, env: Record<string, string>): Shell {
  const child = spawn("sh", ["-c", line], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let all = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    all += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    all += chunk.toString();
  });
  // 'close', not 'exit': it waits for every process holding the pipes (the server under npm).
  const closed = new Promise<number | null>((resolve) => {
    child.once("error", () => resolve(null));
    child.once("close", (code) => resolve(code));
  });
  const run: Shell = { child, output: () => all, stdout: () => stdout, closed };
  groups.add(run);
  void closed.then(() => groups.delete(run));
  return run;
}

async function stopGroup(run: Shell): Promise<void> {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (run.child.pid) process.kill(-run.child.pid, name);
    } catch {
      // The group is already gone.
    }
  };
  signal("SIGTERM");
  const closed = await Promise.race([run.closed.then(() => true), sleep(15_000).then(() => false)]);
  if (!closed) signal("SIGKILL");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs a command to completion within `limitMs`; throws with its (redacted) output otherwise. */
async function mustSucceed(
  label: string,
  line: string,
  cwd: string,
  env: Record<string, string>,
  limitMs: number,
) {
  const run = shell(line, cwd, env);
  const started = Date.now();
  const progress = setInterval(
    () => console.log(`  … ${label} still running (${Math.round((Date.now() - started) / 1000)} s)`),
    20_000,
  );
  try {
    const code = await Promise.race([run.closed, sleep(limitMs).then(() => "timeout" as const)]);
    if (code !== 0) {
      const how = code === "timeout" ? `did not finish within ${limitMs / 1000} s` : `exited with ${code}`;
      throw new Error(`\`${line}\` (${label}) ${how}; output:\n${redact(run.output())}`);
    }
    return run;
  } finally {
    clearInterval(progress);
  }
}

/** Starts `npm start` in the background and resolves once its banner is out. */
async function startVault(line: string, cwd: string, env: Record<string, string>): Promise<Shell> {
  const run = shell(line, cwd, env);
  const deadline = Date.now() + LIMITS_MS.start;
  while (!run.stdout().includes(BANNER)) {
    const exited = run.child.exitCode !== null || run.child.signalCode !== null;
    if (exited || Date.now() > deadline) {
      const how = exited ? `exited (${run.child.exitCode ?? run.child.signalCode})` : "timed out";
      throw new Error(`\`${line}\` ${how} before printing "${BANNER}"; output:\n${redact(run.output())}`);
    }
    await sleep(100);
  }
  // The banner is written in one piece; a short pause lets the rest of the chunk arrive.
  await sleep(100);
  return run;
}

async function git(args: string[], cwd: string): Promise<string> {
  const line = ["git", ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const run = await mustSucceed(`git ${args[0]}`, line, cwd, cleanEnv(), LIMITS_MS.clone);
  return run.stdout().trim();
}

interface Timing {
  step: string;
  command: string;
  seconds: number;
}

describe("README walkthrough on a fresh clone", () => {
  it(
    "npm install, npm start, connect in Chromium, grants list and request work as written, timed",
    async () => {
      const commands = await readmeCommands();
      const requestUrl = /\s(https?:\/\/\S+)/.exec(commands.request)?.[1];
      expect(GRANT_PLACEHOLDER.test(commands.request), `no grant_… placeholder in ${commands.request}`).toBe(
        true,
      );
      await assertPortFree(VAULT_PORT, "vault port");
      await assertPortFree(DEMO_PORT, "demo provider port");

      const work = await mkdtemp(join(tmpdir(), "gv-readme-walk-"));
      const clone = join(work, "grantvault");
      const timings: Timing[] = [];
      const timed = async <T>(step: string, command: string, action: () => Promise<T>): Promise<T> => {
        console.log(`[readme walkthrough] ${step}: ${command}`);
        const started = performance.now();
        const result = await action();
        const seconds = Math.round((performance.now() - started) / 100) / 10;
        timings.push({ step, command, seconds });
        console.log(`[readme walkthrough] ${step}: done in ${seconds} s`);
        return result;
      };

      try {
        const head = await git(["rev-parse", "HEAD"], ROOT);
        const dirty = await git(["status", "--porcelain", "--untracked-files=no"], ROOT);
        if (dirty) console.log("[readme walkthrough] note: uncommitted changes are not part of the clone");
        const walkStarted = performance.now();

        await timed("git clone", `git clone --no-hardlinks <repo> ${clone}`, async () => {
          await git(["clone", "--quiet", "--no-hardlinks", ROOT, clone], work);
          // A detached HEAD in the repository may not be what the clone checks out.
          if ((await git(["rev-parse", "HEAD"], clone)) !== head) {
            await git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", head], clone);
          }
        });
        expect(existsSync(join(clone, "node_modules"))).toBe(false);

        // A user with internet access gets better-sqlite3's prebuilt addon from its releases; this
        // machine reaches only the npm registry, so `npm install` would compile it for a minute.
        // The addon this repository compiled is offered the way prebuild-install looks for one
        // (a local prebuild), so the step takes what it takes a user, without changing the command.
        const prebuilds = await localSqlitePrebuild(work);
        await timed("npm install", commands.install, () =>
          mustSucceed(
            "npm install",
            commands.install,
            clone,
            cleanEnv({ npm_config_better_sqlite3_local_prebuilds: prebuilds }),
            LIMITS_MS.install,
          ),
        );
        const vault = await timed("npm start (until the banner)", commands.start, () =>
          startVault(commands.start, clone, cleanEnv()),
        );
        const banner = vault.stdout();
        expect(banner).toContain(`${BANNER} http://127.0.0.1:${VAULT_PORT}`);
        // The README's request URL is the demo provider's API the vault announces.
        expect(banner).toContain(`its API for demo grants: GET ${requestUrl}`);
        expect(requestUrl).toBe(`http://127.0.0.1:${DEMO_PORT}/me`);
        const credentials = join(clone, ".grantvault", "credentials.json");
        expect(existsSync(credentials)).toBe(true);

        const browserLog = join(work, "browser.log");
        const browserEnv = cleanEnv(
          browserOpenerEnv({ provider: "demo", logFile: browserLog, login: LOGIN }),
        );
        const connect = await timed("connect (sign-in in Chromium)", commands.connect, async () => {
          try {
            return await mustSucceed("connect", commands.connect, clone, browserEnv, LIMITS_MS.connect);
          } catch (error) {
            const log = existsSync(browserLog) ? await readFile(browserLog, "utf8") : "(no browser log)";
            throw new Error(`${(error as Error).message}\nbrowser-opener log:\n${log}`);
          }
        });
        expect(connect.output()).toContain(`key from ${credentials}`);
        expect(connect.stdout()).toMatch(
          new RegExp(`^grant_\\S+\\s+demo\\s+${LOGIN}@demo\\.invalid\\s`, "m"),
        );

        const listed = await timed("grants list", commands.list, () =>
          mustSucceed("grants list", commands.list, clone, cleanEnv(), LIMITS_MS.cli),
        );
        const row = new RegExp(`^(grant_[0-9a-f]+)\\s+demo\\s+${LOGIN}@demo\\.invalid\\s+active\\s`, "m");
        const grantId = row.exec(listed.stdout())?.[1];
        expect(grantId, `no active demo grant for ${LOGIN} in:\n${listed.stdout()}`).toBeDefined();
        expect(connect.stdout()).toContain(grantId);

        const requestLine = commands.request.replace(GRANT_PLACEHOLDER, grantId ?? "");
        const request = await timed("request", requestLine, () =>
          mustSucceed("request", requestLine, clone, cleanEnv(), LIMITS_MS.cli),
        );
        expect(JSON.parse(request.stdout())).toMatchObject({ sub: LOGIN, email: `${LOGIN}@demo.invalid` });
        const totalSeconds = Math.round((performance.now() - walkStarted) / 100) / 10;

        // Not in the README's block, but promised right below it: any folder below finds the key.
        const subfolder = join(clone, "examples", "web");
        const fromSubfolder = await timed("grants list (from examples/web)", commands.list, () =>
          mustSucceed("grants list", commands.list, subfolder, cleanEnv(), LIMITS_MS.cli),
        );
        expect(fromSubfolder.output()).toContain(`key from ${credentials}`);
        expect(fromSubfolder.stdout()).toContain(grantId);

        const report = {
          commit: head,
          node: process.version,
          cpus: cpus().length,
          date: new Date().toISOString(),
          steps: timings,
          total_clone_to_first_request_seconds: totalSeconds,
        };
        await writeFile(TIMES_FILE, `${JSON.stringify(report, null, 2)}\n`);
        const width = Math.max(...timings.map((timing) => timing.step.length), 30);
        const table = [
          ...timings.map(
            (timing) => `${timing.step.padEnd(width)} ${timing.seconds.toFixed(1).padStart(6)} s`,
          ),
          `${"total: clone → first request".padEnd(width)} ${totalSeconds.toFixed(1).padStart(6)} s`,
        ].join("\n");
        console.log(`README walkthrough times (commit ${head.slice(0, 7)}):\n${table}\nJSON: ${TIMES_FILE}`);
      } finally {
        await Promise.all([...groups].map(stopGroup));
        await rm(work, { recursive: true, force: true });
      }
    },
    8 * MINUTE,
  );
});
