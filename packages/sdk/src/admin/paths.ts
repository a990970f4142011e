import { AppProviderParams, idProblem } from "@grantvault/protocol";
import { VaultValueError } from "../errors.js";

/**
 * Path segments of the admin API, checked before any network call: an id that is not one would
 * otherwise reach another route (`..`, `/`) or echo a secret pasted in the wrong place.
 */

/** `/v1/apps/<app_id>`. */
export function appPath(appId: string): string {
  const problem = idProblem("app", appId);
  if (problem !== null) throw new VaultValueError("invalid_argument", `appId: ${problem}`);
  return `/v1/apps/${appId}`;
}

/** `/v1/apps/<app_id>/providers/<provider_id>`. */
export function providerPath(appId: string, providerId: string): string {
  const app = appPath(appId);
  const checked = AppProviderParams.shape.provider_id.safeParse(providerId);
  if (!checked.success) {
    throw new VaultValueError(
      "invalid_argument",
      "providerId: not a provider id (lowercase letters, digits, - or _, at most 63)",
    );
  }
  return `${app}/providers/${checked.data}`;
}

/** `/v1/apps/<app_id>/api-keys/<key_id>`. */
export function apiKeyPath(appId: string, keyId: string): string {
  const app = appPath(appId);
  const problem = idProblem("apiKey", keyId);
  if (problem !== null) throw new VaultValueError("invalid_argument", `keyId: ${problem}`);
  return `${app}/api-keys/${keyId}`;
}

/** An ISO 8601 time for the wire, from a Date or a string as given; null stays null. */
export function isoTime(value: Date | string | null): string | null {
  if (value === null || typeof value === "string") return value;
  if (Number.isNaN(value.getTime())) throw new VaultValueError("invalid_argument", "not a valid Date");
  return value.toISOString();
}
