import type { IdentityProviderConfig } from "../providers/provider-config.js";
import type { ResolvedProvider } from "../providers/resolved-provider.js";
import type { AppRecord } from "../storage/apps-repository.js";

/** One app's identity provider: how users sign in, and what their tokens must say. */
export interface AppIdentity {
  provider: ResolvedProvider;
  /** The `aud` a user token must carry. */
  audience: string;
}

/**
 * What is wrong with the `identity[].app` entries, given the apps that exist: an entry must name
 * an app id. A name is refused with the id(s) it matches, so the operator can paste the right one;
 * an unknown id is accepted (the app may be created later, by another process of a fleet).
 */
export function identityAppProblems(
  configs: readonly IdentityProviderConfig[],
  apps: readonly Pick<AppRecord, "id" | "name">[],
): string[] {
  const problems: string[] = [];
  configs.forEach((config, index) => {
    if (apps.some((app) => app.id === config.app)) return;
    const named = apps.filter((app) => app.name === config.app).map((app) => app.id);
    const place = `identity[${index}].app`;
    if (named.length === 1) {
      problems.push(`${place}: "${config.app}" is an app name; use the app id: "${named[0]}"`);
    } else if (named.length > 1) {
      problems.push(
        `${place}: "${config.app}" is the name of ${named.length} apps (${named.join(", ")}); use the id of the one meant`,
      );
    } else if (!config.app.startsWith("app_")) {
      problems.push(
        `${place}: must be an app id (app_…), and no app has the id or name "${config.app}"; \`grantvault-server apps list\` shows the ids`,
      );
    }
  });
  return problems;
}
