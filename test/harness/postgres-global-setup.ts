import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server shared by all test files (see ./postgres.ts). */
    postgresAdminUrl: string;
  }
}

/**
 * One cluster for the whole vitest process. Both the integration and the e2e projects list this
 * global setup; when `npm test` runs them together, vitest calls setup once per project, and the
 * second call must reuse the first cluster instead of starting another one.
 */
interface SharedCluster {
  adminUrl: Promise<string>;
  stop: () => Promise<void>;
  users: number;
}
const SHARED = Symbol.for("grantvault.test.postgresCluster");
type WithShared = typeof globalThis & { [SHARED]?: SharedCluster };

/**
 * Vitest globalSetup: provides one PostgreSQL server for the whole run. Uses TEST_DATABASE_URL
 * (a superuser URL of an existing server) when set, otherwise starts a throwaway cluster.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const existing = process.env.TEST_DATABASE_URL;
  if (existing !== undefined && existing !== "") {
    project.provide("postgresAdminUrl", existing);
    return async () => {};
  }

  const holder = globalThis as WithShared;
  if (holder[SHARED] === undefined) {
    const started = startPostgresCluster();
    holder[SHARED] = {
      adminUrl: started.then((cluster) => cluster.adminUrl),
      stop: async () => (await started).stop(),
      users: 0,
    };
  }
  const shared = holder[SHARED];
  shared.users += 1;
  project.provide("postgresAdminUrl", await shared.adminUrl);
  return async () => {
    shared.users -= 1;
    if (shared.users === 0) {
      delete holder[SHARED];
      await shared.stop();
    }
  };
}
