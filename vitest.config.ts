import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * Three test tiers, chosen by WHERE a test file lives (so a new file lands in a tier without
 * touching this file):
 *
 * - unit: tests colocated with the code, `packages/<pkg>/src/**\/*.test.ts`. They start no
 *   PostgreSQL, no Chromium and no Python (at most an in-process SQLite vault). `npm run test:unit`.
 * - e2e: `test/e2e`, `test/connect-js`, `test/python`, `test/packaging`, and the harness
 *   self-tests that drive Chromium (listed in E2E_HARNESS_TESTS). They drive Chromium, the Python
 *   SDK or packed/spawned server processes. `npm run test:e2e`.
 * - integration: every other `test/**\/*.test.ts` (today test/server, test/storage,
 *   test/providers, test/harness/postgres.test.ts): real SQLite/PostgreSQL, real HTTP and
 *   node-oidc-provider, no Chromium. `npm run test:integration`.
 *
 * A new test that launches Chromium or Python belongs under one of the e2e folders; anything
 * else under test/ is integration by default. `npm test` runs all three projects in one run.
 */
const E2E_DIRS = ["test/e2e", "test/connect-js", "test/python", "test/packaging"];
const E2E_HARNESS_TESTS = ["test/harness/connect-flow.test.ts", "test/harness/oauth-provider.test.ts"];
const E2E_INCLUDE = [...E2E_DIRS.map((dir) => `${dir}/**/*.test.ts`), ...E2E_HARNESS_TESTS];

// Only the tiers that talk to PostgreSQL start it; the setup shares one cluster between them.
const POSTGRES_SETUP = ["test/harness/postgres-global-setup.ts"];

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of sibling packages, not their build output.
    alias: {
      // Before the package itself: an alias also matches the start of a longer specifier.
      "@grantvault/protocol/cli-args": fileURLToPath(
        new URL("./packages/protocol/src/cli-args.ts", import.meta.url),
      ),
      "@grantvault/protocol": src("protocol"),
      "@grantvault/providers": src("providers"),
      "grantvault-server": src("server"),
      grantvault: src("sdk"),
    },
  },
  test: {
    // End-to-end tests drive Chromium through several OAuth flows; on a loaded 2-core CI machine
    // a flow can take several seconds.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Most of the time goes to waiting on browsers and servers, not CPU: two files at a time.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: { name: "unit", include: ["packages/*/src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...E2E_INCLUDE],
          globalSetup: POSTGRES_SETUP,
        },
      },
      {
        extends: true,
        test: { name: "e2e", include: E2E_INCLUDE, globalSetup: POSTGRES_SETUP },
      },
    ],
  },
});
