import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of sibling packages, not their build output.
    alias: {
      "@grantvault/protocol": src("protocol"),
      "@grantvault/providers": src("providers"),
      "@grantvault/server": src("server"),
      grantvault: src("sdk"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/harness/postgres-global-setup.ts"],
    // End-to-end tests drive Chromium through several OAuth flows; on a loaded 2-core CI machine
    // a flow can take several seconds.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most of the time goes to waiting on browsers and servers, not CPU: two files at a time.
    maxWorkers: 2,
  },
});
