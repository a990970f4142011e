import { type ChildProcess, spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_OPENER } from "../harness/browser.js";

/**
 * Installs Grantvault the way a user does, outside this repository: `npm pack` of every workspace
 * package, `npm install` of the tarballs into a fresh project in the system temp directory, the
 * Python sdist and wheel (built with flit_core, the package's build backend) with the wheel
 * installed into a fresh venv. Then the packed server runs `serve --demo` and both SDKs, from their
 * installed copies, call it; the Python SDK runs the README's Python quickstart.
 *
 * better-sqlite3 compiles from source when no prebuilt binary can be downloaded (minutes on a small
 * machine), so by default the install skips install scripts and reuses the repository's compiled
 * addon (same package version, same Node). GV_PACK_TEST_NATIVE_BUILD=1 runs the real install.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PACKAGES = ["protocol", "providers", "sdk", "server", "connect-js"];
const NATIVE_BUILD = process.env.GV_PACK_TEST_NATIVE_BUILD === "1";
const SETUP_TIMEOUT_MS = NATIVE_BUILD ? 600_000 : 180_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<Run> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function mustRun(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
) {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

let work: string;
let project: string;
let venvPython: string;
let pythonDist: { sdist: string; wheel: string };
let server: ChildProcess | undefined;
let serverOutput = "";
let apiKey: string;
let baseUrl: string;
let demoApiUrl: string;

/** Packs every package and installs the tarballs into a new project outside the repository. */
async function installNpmPackages(): Promise<void> {
  const tarballs = join(work, "tarballs");
  await mkdir(tarballs);
  const workspaces = PACKAGES.flatMap((name) => ["-w", `packages/${name}`]);
  await mustRun("npm", ["pack", ...workspaces, "--pack-destination", tarballs, "--silent"], { cwd: ROOT });
  const files = (await readdir(tarballs)).filter((file) => file.endsWith(".tgz"));
  expect(files).toHaveLength(PACKAGES.length);

  await writeFile(
    join(project, "package.json"),
    `${JSON.stringify({ name: "gv-user-project", private: true, type: "module" }, null, 2)}\n`,
  );
  const flags = [
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    ...(NATIVE_BUILD ? [] : ["--ignore-scripts"]),
  ];
  await mustRun("npm", ["install", ...flags, ...files.map((file) => join(tarballs, file))], { cwd: project });
  if (!NATIVE_BUILD) await reuseCompiledSqlite();
}

/** Copies the repository's compiled better-sqlite3 addon into the project (see the file comment). */
async function reuseCompiledSqlite(): Promise<void> {
  const version = async (dir: string) =>
    JSON.parse(await readFile(join(dir, "node_modules/better-sqlite3/package.json"), "utf8")).version;
  expect(await version(project)).toBe(await version(ROOT));
  const release = "node_modules/better-sqlite3/build/Release";
  await mkdir(join(project, release), { recursive: true });
  await copyFile(join(ROOT, release, "better_sqlite3.node"), join(project, release, "better_sqlite3.node"));
}

/** `[build-system]` of python/pyproject.toml: what to fetch and which module to call. */
async function pythonBuildSystem(): Promise<{ requires: string[]; backend: string }> {
  const pyproject = await readFile(join(ROOT, "python/pyproject.toml"), "utf8");
  const table = pyproject.split(/^\[build-system\]$/m)[1]?.split(/^\[/m)[0] ?? "";
  const requires = /^requires = (\[.*\])$/m.exec(table)?.[1];
  const backend = /^build-backend = "([\w.]+)"$/m.exec(table)?.[1];
  if (!requires || !backend)
    throw new Error(`no [build-system] requires/build-backend in python/pyproject.toml`);
  return { requires: JSON.parse(requires), backend };
}

/** One failed attempt at an unreachable index is enough; pip's default retries cost seconds. */
const PIP_ENV = { PIP_RETRIES: "0", PYTHONDONTWRITEBYTECODE: "1" };

/**
 * Builds the sdist with the package's build backend, then the wheel from that sdist with
 * `pip wheel` (as an installer building from source does).
 *
 * pip has no sdist command and `build` is not installed, so the backend (flit_core) is fetched
 * once with `pip download` from pip's configured index (a local mirror on CI machines, which have
 * no route to pypi.org), its PEP 517 `build_sdist` hook is called directly, and `pip wheel` builds
 * in its usual isolated environment from that same download (`--no-index`: no second lookup).
 */
async function buildPythonDist(): Promise<{ sdist: string; wheel: string }> {
  const dist = join(work, "python-dist");
  const backendDir = join(work, "python-backend");
  await mkdir(dist);
  const { requires, backend } = await pythonBuildSystem();
  const download = ["-m", "pip", "download", "--quiet", "--no-deps", "--dest", backendDir, ...requires];
  await mustRun("python3", download, { cwd: work, env: PIP_ENV });
  const backendPath = (await readdir(backendDir)).map((file) => join(backendDir, file)).join(":");
  const buildSdist =
    "import importlib, sys; print(importlib.import_module(sys.argv[1]).build_sdist(sys.argv[2]))";
  const built = await mustRun("python3", ["-c", buildSdist, backend, dist], {
    cwd: join(ROOT, "python"),
    env: { ...PIP_ENV, PYTHONPATH: backendPath },
  });
  const sdist = built.stdout.trim();
  expect(sdist).toBe("grantvault-0.1.0.tar.gz");
  const wheelFromSdist = ["-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"];
  wheelFromSdist.push("--find-links", backendDir, "--wheel-dir", dist, join(dist, sdist));
  await mustRun("python3", wheelFromSdist, { cwd: work, env: PIP_ENV });
  const wheel = "grantvault-0.1.0-py3-none-any.whl";
  expect(new Set(await readdir(dist))).toEqual(new Set([sdist, wheel]));
  return { sdist: join(dist, sdist), wheel: join(dist, wheel) };
}

/** Builds the Python sdist and wheel while a new venv is created, then installs the wheel there. */
async function installPythonPackage(): Promise<void> {
  const venv = join(work, "venv");
  [pythonDist] = await Promise.all([
    buildPythonDist(),
    mustRun("python3", ["-m", "venv", venv], { cwd: work }),
  ]);
  venvPython = join(venv, "bin", "python");
  // --no-index: the SDK has no dependencies, so nothing but the wheel may be needed.
  const install = ["-m", "pip", "install", "--no-index", "--quiet", pythonDist.wheel];
  await mustRun(venvPython, install, { cwd: work, env: PIP_ENV });
}

/** Starts the installed `grantvault-server serve --demo` and reads the first-start API key. */
async function startPackedServer(): Promise<void> {
  const dataDir = join(work, "data");
  await mkdir(dataDir, { mode: 0o700 });
  server = spawn(
    join(project, "node_modules/.bin/grantvault-server"),
    ["serve", "--demo", "--port", "0", "--data-dir", dataDir, "--log-level", "warn"],
    { cwd: project, env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout?.on("data", (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  server.stderr?.on("data", (chunk: Buffer) => {
    serverOutput += chunk.toString();
  });
  const started = Date.now();
  for (;;) {
    const key = /export GRANTVAULT_API_KEY=(\S+)/.exec(serverOutput)?.[1];
    const url = /export GRANTVAULT_URL=(\S+)/.exec(serverOutput)?.[1];
    const demoApi = /its API for demo grants: GET (\S+)/.exec(serverOutput)?.[1];
    if (key && url && demoApi) {
      apiKey = key;
      baseUrl = url;
      demoApiUrl = demoApi;
      break;
    }
    if (server.exitCode !== null || Date.now() - started > 30_000) {
      throw new Error(`packed server did not start\n${serverOutput}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const health = await fetch(`${baseUrl}/healthz`);
  expect(health.status).toBe(200);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "gv-pack-"));
  project = join(work, "project");
  await mkdir(project);
  await Promise.all([installNpmPackages(), installPythonPackage()]);
  await startPackedServer();
}, SETUP_TIMEOUT_MS);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once("exit", resolve));
    server.kill("SIGTERM");
    const timer = setTimeout(() => server?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** Bare module specifiers a package's shipped JavaScript and declarations import. */
async function importedPackages(dir: string): Promise<Set<string>> {
  const found = new Set<string>();
  const entries = await readdir(dir, { recursive: true });
  for (const entry of entries) {
    if (entry.includes("node_modules") || !/\.(m?js|d\.ts)$/.test(entry)) continue;
    const text = await readFile(join(dir, entry), "utf8");
    // The server's bundle holds its dependencies' code, comments and examples included: only its
    // own import statements (at the start of a line) and dynamic imports name what it loads.
    const pattern = entry.includes("bundle")
      ? /^(?:import\b[^"\n]*?from\s*|\s*(?:await\s+)?import\(\s*)"((?:node:|@[a-z0-9][\w.-]*\/)?[a-z0-9][\w./-]*)"/gm
      : /\b(?:from|import)\s*\(?\s*"((?:node:|@[a-z0-9][\w.-]*\/)?[a-z0-9][\w./-]*)"/g;
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith("node:")) continue;
      const parts = specifier.split("/");
      found.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? ""));
    }
  }
  return found;
}

describe("packed packages installed outside the repository", () => {
  it("import only what they declare as dependencies", async () => {
    const installed = [
      "grantvault",
      "grantvault-server",
      "@grantvault/connect-js",
      "@grantvault/protocol",
      "@grantvault/providers",
    ];
    for (const name of installed) {
      const dir = join(project, "node_modules", name);
      const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8"));
      const declared = new Set([name, ...Object.keys(manifest.dependencies ?? {})]);
      const undeclared = [...(await importedPackages(dir))].filter((imported) => !declared.has(imported));
      expect(undeclared, `${name} imports undeclared packages`).toEqual([]);
      expect(manifest.version).toBe("0.1.0");
      expect(manifest.license).toBe("Apache-2.0");
      expect(await readdir(dir)).toEqual(expect.arrayContaining(["README.md", "LICENSE"]));
    }
  });

  it("the SDK imports from its tarball and calls the packed server", async () => {
    const script = join(project, "quickstart.mjs");
    await writeFile(
      script,
      [
        'import { Vault } from "grantvault";',
        "const vault = new Vault({ apiKey: process.env.GRANTVAULT_API_KEY, baseUrl: process.env.GRANTVAULT_URL });",
        "const app = await vault.getApp();",
        "const page = await vault.listGrants();",
        "console.log(JSON.stringify({ app: app.name, grants: page.grants.length }));",
        "",
      ].join("\n"),
    );
    const result = await run(process.execPath, [script], {
      cwd: project,
      env: { GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: baseUrl },
    });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({ app: "default", grants: 0 });
  });

  it("`npx grantvault-server` finds the installed server", async () => {
    const result = await run("npx", ["--no-install", "grantvault-server", "--help"], { cwd: project });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("Usage: grantvault-server");
  });

  it("the SDK's `grantvault` CLI lists grants", async () => {
    const result = await run(join(project, "node_modules/.bin/grantvault"), ["grants", "list", "--json"], {
      cwd: project,
      env: { GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: baseUrl },
    });
    expect(result.code, result.stderr).toBe(0);
  });

  it("the packed type declarations resolve for a TypeScript user", async () => {
    await writeFile(
      join(project, "check.ts"),
      [
        'import { Vault, type GrantPage } from "grantvault";',
        'import type { CreateOptions } from "@grantvault/connect-js";',
        'import { buildApp } from "grantvault-server";',
        "export const page: Promise<GrantPage> = new Vault({ apiKey: 'k' }).listGrants();",
        "export type Options = CreateOptions;",
        "export const start: unknown = buildApp;",
        "",
      ].join("\n"),
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const result = await run(
      process.execPath,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--target",
        "es2023",
        "--typeRoots",
        join(ROOT, "node_modules/@types"),
        "--types",
        "node",
        "check.ts",
      ],
      { cwd: project },
    );
    expect(result.code, result.stdout + result.stderr).toBe(0);
  }, 120_000);

  it("the Python wheel installs into a venv and calls the packed server", async () => {
    const script = [
      "import json, os, grantvault",
      "vault = grantvault.Vault(os.environ['GRANTVAULT_API_KEY'], os.environ['GRANTVAULT_URL'])",
      "page = vault.list_grants()",
      "print(json.dumps({'file': grantvault.__file__, 'grants': len(page.grants)}))",
    ].join("\n");
    const result = await run(venvPython, ["-c", script], {
      cwd: work,
      env: { GRANTVAULT_API_KEY: apiKey, GRANTVAULT_URL: baseUrl },
    });
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer.grants).toBe(0);
    expect(answer.file).toContain(join(work, "venv"));
  });
  it("the Python sdist and wheel carry the package's metadata and only what belongs in them", async () => {
    const inspect = [
      "import email.parser, json, sys, tarfile, zipfile",
      "def fields(text):",
      "    message = email.parser.Parser().parsestr(text)",
      "    return {'headers': [[k, v] for k, v in message.items()], 'body': message.get_payload()}",
      "with zipfile.ZipFile(sys.argv[2]) as wheel:",
      "    names = wheel.namelist()",
      "    metadata = fields(wheel.read('grantvault-0.1.0.dist-info/METADATA').decode())",
      "    licence = wheel.read('grantvault-0.1.0.dist-info/licenses/LICENSE').decode()",
      "with tarfile.open(sys.argv[1]) as sdist:",
      "    members = sdist.getnames()",
      "    pkg_info = fields(sdist.extractfile('grantvault-0.1.0/PKG-INFO').read().decode())",
      "print(json.dumps({'wheel': {'names': names, 'metadata': metadata, 'licence': licence},",
      "                  'sdist': {'names': members, 'metadata': pkg_info}}))",
    ].join("\n");
    const result = await mustRun("python3", ["-c", inspect, pythonDist.sdist, pythonDist.wheel], {
      cwd: work,
    });
    const { wheel, sdist } = JSON.parse(result.stdout);
    const readme = await readFile(join(ROOT, "python/README.md"), "utf8");

    for (const { headers, body } of [wheel.metadata, sdist.metadata] as {
      headers: string[][];
      body: string;
    }[]) {
      const one = (name: string) => headers.filter(([key]) => key === name).map(([, value]) => value);
      expect(one("Name")).toEqual(["grantvault"]);
      expect(one("Version")).toEqual(["0.1.0"]);
      expect(one("Requires-Python")).toEqual([">=3.10"]);
      expect(one("License-Expression")).toEqual(["Apache-2.0"]);
      expect(one("License-File")).toEqual(["LICENSE"]);
      expect(one("Summary")[0]).toMatch(/^Grantvault Python SDK/);
      expect(one("Description-Content-Type")).toEqual(["text/markdown"]);
      expect(one("Classifier")).toContain("Typing :: Typed");
      // Standard library only: installing the SDK installs nothing else.
      expect(one("Requires-Dist")).toEqual([]);
      expect(body.trim()).toBe(readme.trim());
    }

    const wheelNames: string[] = wheel.names;
    expect(wheelNames.filter((name) => !/^grantvault(-0\.1\.0\.dist-info)?\//.test(name))).toEqual([]);
    expect(wheelNames).toEqual(expect.arrayContaining(["grantvault/__init__.py", "grantvault/py.typed"]));
    expect(wheelNames.filter((name) => name.includes("__pycache__") || name.includes("tests/"))).toEqual([]);
    expect(wheel.licence).toBe(await readFile(join(ROOT, "LICENSE"), "utf8"));

    const sdistNames: string[] = sdist.names;
    const expected = ["PKG-INFO", "pyproject.toml", "README.md", "LICENSE", "src/grantvault/py.typed"];
    expected.push("src/grantvault/__init__.py", "tests/support.py", "tests/test_runtime.py");
    expect(sdistNames).toEqual(expect.arrayContaining(expected.map((file) => `grantvault-0.1.0/${file}`)));
    expect(sdistNames.filter((name) => name.includes("__pycache__") || name.endsWith(".pyc"))).toEqual([]);
  });

  // Last: it connects a grant, and the tests above expect none.
  it("the installed TypeScript SDK runs the README's connect snippet against the packed server", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const after = readme.split("The same from TypeScript (package `grantvault`):")[1] ?? "";
    const snippet = /^```ts\n([\s\S]*?)^```$/m.exec(after)?.[1] ?? "";
    expect(snippet).toContain("vault.connect(");
    // Plain JavaScript as written (no type annotations), so Node runs it without a TypeScript step.
    const script = join(project, "readme-connect.mjs");
    await writeFile(script, snippet);
    const result = await run(process.execPath, [script], {
      cwd: project,
      env: {
        GRANTVAULT_API_KEY: apiKey,
        GRANTVAULT_URL: baseUrl,
        BROWSER: BROWSER_OPENER,
        GV_BROWSER_PROVIDER: "demo",
        GV_BROWSER_LOGIN: "bob",
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(apiKey);
    expect(result.stdout.trim()).toMatch(/^grant_[0-9a-f]{24} bob@demo\.invalid \[[^\]]*'openid'/);
  }, 120_000);

  it("the installed Python SDK runs the README's Python quickstart against the packed server", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.split(/^## Python SDK$/m)[1] ?? "";
    const quickstart = /^```python\n([\s\S]*?)^```$/m.exec(section)?.[1] ?? "";
    // The README's demo API is on the default demo port; the packed server runs on free ports.
    const placeholder = "http://127.0.0.1:7401/me";
    expect(quickstart).toContain(placeholder);
    const script = join(work, "quickstart.py");
    await writeFile(script, quickstart.replace(placeholder, demoApiUrl));

    // `connect()` opens $BROWSER with the link: the stand-in drives Chromium through the Connect
    // page and the demo provider's sign-in, as a person would.
    const result = await run(venvPython, [script], {
      cwd: work,
      env: {
        GRANTVAULT_API_KEY: apiKey,
        GRANTVAULT_URL: baseUrl,
        BROWSER: BROWSER_OPENER,
        GV_BROWSER_PROVIDER: "demo",
        GV_BROWSER_LOG: join(work, "browser.log"),
        PYTHONUNBUFFERED: "1",
      },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(apiKey);
    const lines = result.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^grant_[0-9a-f]+ \S*alice/);
    expect(lines[1]).toBe("active");
    expect(lines).toEqual(expect.arrayContaining(["session.completed ok", "grant.created ok"]));
    expect(lines.at(-2)).toMatch(/^200 \{'sub': 'alice', 'email': 'alice@demo\.invalid'/);
    expect(lines.at(-1)).toBe("host_not_allowed");
  }, 120_000);
});
