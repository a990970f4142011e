import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROWSER_OPENER } from "../harness/browser.js";
import { type PythonWorld, startPythonWorld } from "./python-world.js";

/**
 * The Python SDK's own tests (`python3 -m unittest discover -s python/tests`) against a real vault
 * process, node-oidc-provider (also the app's identity provider), resource API, and the BROWSER
 * script that drives headless Chromium through the Connect or sign-in page and the provider's
 * login (the same one the TypeScript e2e tests use).
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Short-lived access tokens: every call through the vault exercises refresh. */
const ACCESS_TOKEN_TTL_SECONDS = 3;
/** The desktop/SSH hints that would make the SDK, or xdg-open, look for a real browser. */
const BROWSER_HINTS = [
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XDG_CURRENT_DESKTOP",
  "SSH_CONNECTION",
  "SSH_CLIENT",
  "SSH_TTY",
];

let world: PythonWorld;

beforeAll(async () => {
  world = await startPythonWorld({ accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS });
});
afterAll(async () => {
  await world?.stop();
});

interface Run {
  code: number | null;
  output: string;
}

function runPythonTests(env: Record<string, string>): Promise<Run> {
  const child = spawn("python3", ["-m", "unittest", "discover", "-s", "python/tests", "-v"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

/** A JWT (three base64url parts): the user tokens the tests use and `authenticate()` returns. */
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/**
 * Never print a secret: the API key, Connect and sign-in links (their session tokens) and user
 * tokens are masked.
 */
function redact(text: string): string {
  return text
    .replaceAll(world.apiKey, "gv_live_<redacted>")
    .replaceAll(world.operatorKey, "gv_op_<redacted>")
    .replace(/gvcs_[A-Za-z0-9_-]+/g, "gvcs_<redacted>")
    .replace(JWT, "<user token>");
}

describe("the Python SDK against a real vault", () => {
  it("passes python -m unittest, with no test skipped", { timeout: 150_000 }, async () => {
    const logDir = join(world.dir, "browser-logs");
    await mkdir(logDir);
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (value !== undefined && !BROWSER_HINTS.includes(name) && !name.startsWith("GRANTVAULT_")) {
        env[name] = value;
      }
    }
    Object.assign(env, {
      GRANTVAULT_URL: world.baseUrl,
      GRANTVAULT_API_KEY: world.apiKey,
      GV_TEST_OPERATOR_KEY: world.operatorKey,
      GV_TEST_API_URL: world.api.baseUrl,
      GV_TEST_OIDC_PROVIDER: world.oidcProvider,
      GV_TEST_OAUTH2_PROVIDER: world.oauth2Provider,
      GV_TEST_ACCESS_TOKEN_TTL: String(world.accessTokenTtlSeconds),
      GV_TEST_ALLOWED_ORIGIN: world.allowedOrigin,
      // Minted with the identity provider's key (Python cannot sign without it).
      GV_TEST_USER_TOKEN_ALICE: world.userTokens.alice,
      GV_TEST_USER_TOKEN_BOB: world.userTokens.bob,
      GV_TEST_USER_TOKEN_WRONG_AUDIENCE: world.userTokens.wrongAudience,
      GV_TEST_USER_TOKEN_EXPIRED: world.userTokens.expired,
      GV_TEST_LOG_DIR: logDir,
      // Python's webbrowser runs $BROWSER <url>: the script drives Chromium like a user would.
      BROWSER: BROWSER_OPENER,
      PYTHONPATH: join(ROOT, "python", "src"),
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONUNBUFFERED: "1",
    });

    const run = await runPythonTests(env);
    const output = redact(run.output);
    const ran = Number(/^Ran (\d+) tests? in /m.exec(run.output)?.[1] ?? 0);
    expect(run.code, output).toBe(0);
    expect(ran, output).toBeGreaterThan(0);
    expect(output, "a Python test was skipped").not.toMatch(/skipped=\d+|\.\.\. skipped/);
    expect(run.output).toMatch(/^OK$/m);
    expect(run.output.includes(world.apiKey), "the API key appeared in the test output").toBe(false);
    expect(run.output.includes(world.operatorKey), "the operator key appeared in the test output").toBe(
      false,
    );
    for (const token of Object.values(world.userTokens)) {
      expect(run.output.includes(token), "a user token appeared in the test output").toBe(false);
    }
  });
});
