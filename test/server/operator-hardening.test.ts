import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCliInProcess } from "../harness/cli-in-process.js";
import { runServerCli, startServerProcess } from "../harness/server-process.js";

/*
 * What the operator's side refuses or hides (security review 1, F18 and F20c–f): files and
 * directories others can read, the demo provider on a network interface, session tokens in request
 * logs, and terminal escapes in CLI tables.
 */

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "gv-hardening-"));
});
afterEach(() => rm(cwd, { recursive: true, force: true }));

const PROVIDERS = JSON.stringify([
  { id: "github", catalog: "github", clientId: "Iv1.abc", clientSecret: "s3cret-value" },
]);

describe("operator hardening", () => {
  it("F20c: refuses a providers file other users can read, and says how to fix it", async () => {
    const file = join(cwd, "providers.json");
    await writeFile(file, PROVIDERS, { mode: 0o600 });
    await chmod(file, 0o644);
    const refused = await runServerCli(["serve", "--port", "0", "--providers", "providers.json"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("holds client secrets and is accessible by other users (mode 644)");
    expect(refused.stderr).toContain(`run: chmod 600 ${file}`);
    expect(refused.stderr + refused.stdout).not.toContain("s3cret-value");

    await chmod(file, 0o640);
    const groupReadable = await runServerCli(["serve", "--port", "0", "--providers", file], { cwd });
    expect(groupReadable.code).toBe(2);
    expect(groupReadable.stderr).toContain("(mode 640)");

    await chmod(file, 0o600);
    const server = await startServerProcess({ cwd, args: ["--providers", file] });
    try {
      expect(server.stdout()).toContain("/v1/oauth/callback/github");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it("F20d: refuses an existing data directory other users can enter, and says how to fix it", async () => {
    const dataDir = join(cwd, ".grantvault");
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    const served = await runServerCli(["serve", "--port", "0"], { cwd });
    expect(served.code).toBe(1);
    expect(served.stderr).toContain(`data directory ${dataDir} is accessible by other users (mode 755)`);
    expect(served.stderr).toContain(`run: chmod 700 ${dataDir}`);
    // Nothing was written into it: no key file, no database.
    await expect(stat(join(dataDir, "master.key"))).rejects.toThrow();

    // The operator CLI opens the same directory and refuses the same way.
    const listed = await runCliInProcess(["apps", "list"], { GRANTVAULT_DATA_DIR: dataDir });
    expect(listed.code).toBe(1);
    expect(listed.err).toContain("run: chmod 700");

    await chmod(dataDir, 0o700);
    expect((await runCliInProcess(["migrate"], { GRANTVAULT_DATA_DIR: dataDir })).code).toBe(0);
    expect((await runCliInProcess(["apps", "list"], { GRANTVAULT_DATA_DIR: dataDir })).code).toBe(0);
  });

  it("F20e: runs the demo provider only on a loopback host", async () => {
    const flag = await runServerCli(["serve", "--port", "0", "--demo", "--host", "0.0.0.0"], { cwd });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--demo: the demo provider lets anyone sign in");
    expect(flag.stderr).toContain("--host is 0.0.0.0");

    const env = await runServerCli(["serve", "--port", "0"], {
      cwd,
      env: { GRANTVAULT_DEMO: "true", GRANTVAULT_HOST: "192.0.2.10" },
    });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("GRANTVAULT_DEMO: the demo provider lets anyone sign in");
    expect(env.stderr).toContain("GRANTVAULT_HOST is 192.0.2.10");
    // Nothing was created: the configuration is refused before the data directory is touched.
    await expect(stat(join(cwd, ".grantvault"))).rejects.toThrow();
  });

  it("F18: a percent-encoded or upper-case Connect link does not put its token in the request log", async () => {
    const server = await startServerProcess({ cwd, env: { GRANTVAULT_LOG_LEVEL: "info" } });
    const secret = randomBytes(16).toString("hex");
    try {
      for (const path of [
        `/connect/%67vcs_${secret}`,
        `/connect/%2567vcs_${secret}/status`,
        `/connect/GVCS_${secret}`,
        `/connect/gvcs_${secret.slice(0, 8)}%${secret.charCodeAt(8).toString(16)}${secret.slice(9)}`,
      ]) {
        await (await fetch(`${server.baseUrl}${path}`)).arrayBuffer();
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const log = server.stdout() + server.stderr();
    expect(log).toContain('"path":"/connect/[redacted]"');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(secret.slice(9));
  });

  it("F19: refuses an identity provider configured by app name, naming the id to use", async () => {
    // The embedded vault in cwd (apps create refuses to make one where none was asked for).
    await runServerCli(["migrate"], { cwd });
    const created = await runServerCli(["apps", "create", "--name", "billing", "--json"], { cwd });
    const { app_id: appId } = JSON.parse(created.stdout) as { app_id: string };
    const identity = { issuer: "https://sso.example.com", clientId: "c", clientSecret: "s" };
    await writeFile(
      join(cwd, "providers.json"),
      JSON.stringify({ providers: [], identity: [{ app: "billing", ...identity }] }),
      { mode: 0o600 },
    );
    const refused = await runServerCli(["serve", "--port", "0", "--providers", "providers.json"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`identity[0].app: "billing" is an app name; use the app id: "${appId}"`);
  });

  it("F20f: CLI tables do not pass terminal escapes through", async () => {
    const dataDir = join(cwd, "data");
    const env = { GRANTVAULT_DATA_DIR: dataDir };
    const name = "evil\u001b]0;pwned\u0007\u001b[2J\r\u009b31mname\u202e";
    const created = await runCliInProcess(["apps", "create", "--name", name, "--json"], env);
    expect(created.code, created.err).toBe(0);
    const listed = await runCliInProcess(["apps", "list"], env);
    expect(listed.code).toBe(0);
    for (const control of ["\u001b", "\u0007", "\r", "\u009b", "\u202e"])
      expect(listed.out).not.toContain(control);
    expect(listed.out).toContain("evil\ufffd]0;pwned\ufffd\ufffd[2J\ufffd\ufffd31mname\ufffd");
    // JSON keeps the value, escaped so that printing it is safe too.
    const json = await runCliInProcess(["apps", "list", "--json"], env);
    expect(json.out).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(JSON.parse(json.out)[0].name).toBe(name);
  });
});
