import type { TestProject } from "vitest/node";
import { startPostgresCluster } from "./postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the PostgreSQL server shared by all test files (see ./postgres.ts). */
    postgresAdminUrl: string;
  }
}

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

  const cluster = await startPostgresCluster();
  project.provide("postgresAdminUrl", cluster.adminUrl);
  return () => cluster.stop();
}
