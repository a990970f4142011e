import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { BUILD_SCRIPT, BUNDLES, ensureBundles } from "./bundles.js";

/** The widget's size budget (issue 5): each bundle at most 5 KB gzipped, printed by the build. */
const BUDGET = 5120;

beforeAll(async () => {
  await ensureBundles();
});

describe("connect-js bundles", () => {
  it("are each at most 5 KB gzipped", () => {
    for (const file of Object.values(BUNDLES)) {
      const code = readFileSync(file);
      expect(gzipSync(code, { level: 9 }).length, file).toBeLessThanOrEqual(BUDGET);
      // Zero runtime dependencies: nothing is imported or required at run time.
      expect(code.toString()).not.toMatch(/\bimport\s*[\w{*"]|\brequire\(/);
    }
  });

  it("the build prints each bundle's gzipped size, and fails when one is over the budget", () => {
    const ok = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: "utf8" });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/grantvault-connect\.mjs\s+\d+ B,\s+\d+ B gzipped \(limit 5120 B\) ok/);
    expect(ok.stdout).toMatch(/grantvault-connect\.umd\.js\s+\d+ B,\s+\d+ B gzipped \(limit 5120 B\) ok/);

    const over = spawnSync(process.execPath, [BUILD_SCRIPT], {
      encoding: "utf8",
      env: { ...process.env, GV_CONNECT_MAX_GZIP_BYTES: "1000" },
    });
    expect(over.status).toBe(1);
    expect(over.stdout).toContain("TOO LARGE");
    expect(over.stderr).toContain("over the 1000-byte gzipped budget");
  });

  it("the UMD build defines the global GrantvaultConnect, and works under CommonJS", () => {
    const code = readFileSync(BUNDLES.umd, "utf8");
    const root: Record<string, unknown> = {};
    new Function("self", code)(root);
    const global = root.GrantvaultConnect as Record<string, unknown>;
    expect(Object.keys(global).sort()).toEqual(["create", "readReturn", "version"]);
    const module = { exports: {} as Record<string, unknown> };
    new Function("module", "exports", "self", code)(module, module.exports, {});
    expect(typeof module.exports.create).toBe("function");
  });
});
