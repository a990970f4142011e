import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../harness/free-port.js";
import { runNodeEntry, runServerCli, SERVER_ENTRY, startServerProcess } from "../harness/server-process.js";

const SDK_CLI = fileURLToPath(new URL("../../packages/sdk/dist/cli.js", import.meta.url));

/** Holds a port the way another process (a second `npm start`) would. */
async function occupy(port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return server;
}

describe("the first hour (issue 14 items 1, 2 and 4)", () => {
  let project: string;
  let subfolder: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), "gv-first-hour-"));
    subfolder = join(project, "examples", "web");
    await mkdir(subfolder, { recursive: true });
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  it("a first start on a busy port exits 1 with the fix, closes everything, and keeps the key", async () => {
    const port = await freePort();
    const blocker = await occupy(port);
    try {
      const run = await runNodeEntry(
        SERVER_ENTRY,
        ["serve", "--port", String(port), "--demo", "--demo-port", "0"],
        {
          cwd: project,
        },
      );
      // It exited (runNodeEntry waits for the process to close): nothing was left open.
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(run.stderr).toContain("--port");
      expect(run.stderr).toContain(join(project, ".grantvault", "credentials.json"));
      expect(run.stdout).not.toMatch(/gv_live_/);
    } finally {
      blocker.close();
    }
    const file = join(project, ".grantvault", "credentials.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, "utf8"));
    expect(saved).toMatchObject({
      version: 1,
      app_name: "default",
      url: expect.stringMatching(/^http:\/\//),
    });

    // The key of the failed start works once the vault runs, and the file follows the new port.
    const server = await startServerProcess({ cwd: project });
    try {
      expect(server.stdout()).not.toMatch(/gv_live_/);
      expect(server.stdout()).toContain(`local credentials: ${file}`);
      const app = await fetch(`${server.baseUrl}/v1/app`, {
        headers: { authorization: `Bearer ${saved.api_key}` },
      });
      expect(app.status).toBe(200);
      expect(JSON.parse(await readFile(file, "utf8")).url).toBe(server.baseUrl);

      // The end-user CLI from a subfolder, with no GRANTVAULT_* variable: it finds the key and says so once.
      const grants = await runNodeEntry(SDK_CLI, ["grants", "list", "--json"], { cwd: subfolder });
      expect(grants.code).toBe(0);
      expect(JSON.parse(grants.stdout)).toEqual([]);
      expect(grants.stderr.match(/using the local vault/g)).toHaveLength(1);
      expect(grants.stderr).not.toContain(saved.api_key);

      // Pointed at another vault, it never sends the local key there.
      const elsewhere = await runNodeEntry(SDK_CLI, ["grants", "list"], {
        cwd: subfolder,
        env: { GRANTVAULT_URL: "http://127.0.0.1:9" },
      });
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toContain(`only sent to ${server.baseUrl}`);
    } finally {
      await server.stop();
    }
  });

  it("the operator CLI finds the vault from a subfolder, and apps are named by name", async () => {
    const list = await runServerCli(["apps", "list", "--json"], { cwd: subfolder });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: "default" })]);
    expect(list.stderr).toContain(`using the vault in ${join(project, ".grantvault")}`);

    const created = await runServerCli(["keys", "create", "--app", "default", "--json"], { cwd: subfolder });
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ app_id: JSON.parse(list.stdout)[0].app_id });

    const unknown = await runServerCli(["keys", "create", "--app", "defualt"], { cwd: subfolder });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('there is no app named or with the id "defualt" (apps: default)');
  });

  it("outside any vault, commands say so and create nothing", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "gv-no-vault-"));
    try {
      for (const args of [
        ["apps", "list"],
        ["keys", "status"],
        ["audit", "verify"],
        ["keys", "create", "--app", "default"],
      ]) {
        const run = await runServerCli(args, { cwd: elsewhere });
        expect(run.code, args.join(" ")).toBe(2);
        expect(run.stderr).toContain("there is no vault here");
      }
      const json = await runServerCli(["apps", "list", "--json"], { cwd: elsewhere });
      expect(JSON.parse(json.stderr.trim().split("\n").at(-1) ?? "")).toMatchObject({
        error: { code: "usage" },
      });
      await expect(stat(join(elsewhere, ".grantvault"))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
