import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export const PACKAGE_DIR = fileURLToPath(new URL("../../packages/connect-js/", import.meta.url));
export const BUILD_SCRIPT = `${PACKAGE_DIR}scripts/build.mjs`;
export const BUNDLES = {
  esm: `${PACKAGE_DIR}dist/grantvault-connect.mjs`,
  umd: `${PACKAGE_DIR}dist/grantvault-connect.umd.js`,
} as const;

/**
 * Builds the bundles when they are missing or older than a source file (`npm test` builds them in
 * `pretest`; this covers `npx vitest run test/connect-js` after an edit). The build writes
 * atomically, so test files building at once do not see half a file.
 */
export async function ensureBundles(): Promise<void> {
  const sources = await readdir(`${PACKAGE_DIR}src`);
  const newestSource = Math.max(...sources.map((name) => statSync(`${PACKAGE_DIR}src/${name}`).mtimeMs));
  const stale = Object.values(BUNDLES).some(
    (file) => !existsSync(file) || statSync(file).mtimeMs < newestSource,
  );
  if (!stale) return;
  const run = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`connect-js build failed:\n${run.stdout}\n${run.stderr}`);
}
