import { GrantNotFoundError } from "../errors.js";
import type { Grant, ListGrantsOptions } from "../grants.js";
import { Vault } from "../vault.js";
import { EXIT } from "./connect-command.js";
import { commonFailure, type Failure, printFailure, printJson } from "./output.js";
import { formatTable, printable } from "./table.js";

export type GrantStatus = Grant["status"];

/** The statuses `grants list --status` accepts (the vault's `GrantStatus`). */
export const GRANT_STATUSES: readonly GrantStatus[] = ["active", "expired", "revoked", "reauth_required"];

interface CommonOptions {
  json: boolean;
  url: string | undefined;
}

export interface GrantsListOptions extends CommonOptions {
  providerId: string | undefined;
  status: GrantStatus | undefined;
  accountIdentifier: string | undefined;
  limit: number | undefined;
  /** Follow `nextCursor` through every page. */
  all: boolean;
}

/** `grantvault grants list`: a table, or a JSON array with the API's snake_case keys. */
export async function grantsListCommand(options: GrantsListOptions): Promise<number> {
  const query: ListGrantsOptions = {
    ...(options.providerId === undefined ? {} : { providerId: options.providerId }),
    ...(options.status === undefined ? {} : { status: options.status }),
    ...(options.accountIdentifier === undefined ? {} : { accountIdentifier: options.accountIdentifier }),
    ...(options.limit === undefined ? {} : { limit: options.limit }),
  };
  const grants: Grant[] = [];
  let cursor: string | null = null;
  try {
    const vault = openVault(options.url);
    do {
      const page = await vault.listGrants(cursor === null ? query : { ...query, cursor });
      grants.push(...page.grants);
      cursor = page.nextCursor;
    } while (options.all && cursor !== null);
  } catch (error) {
    return printFailure(commonFailure(error), options.json);
  }
  if (options.json) printJson(grants.map(grantListJson));
  else if (grants.length === 0) process.stderr.write("No grants match.\n");
  else {
    process.stdout.write(
      `${formatTable([
        ["GRANT ID", "PROVIDER", "ACCOUNT", "STATUS", "EXPIRES", "LAST USED"],
        ...grants.map((grant) => [
          grant.grantId,
          grant.providerId,
          grant.accountIdentifier,
          grant.status,
          formatDate(grant.expiresAt),
          formatDate(grant.lastUsedAt),
        ]),
      ])}\n`,
    );
  }
  if (cursor !== null) {
    process.stderr.write(
      `More grants exist than the ${grants.length} shown: add --all to list every page${options.limit === undefined || options.limit < 100 ? " (or --limit up to 100)" : ""}.\n`,
    );
  }
  return EXIT.ok;
}

/** `grantvault grants show GRANT_ID`: key/value lines, or the grant as JSON. */
export async function grantsShowCommand(options: CommonOptions & { grantId: string }): Promise<number> {
  let grant: Grant;
  try {
    grant = await openVault(options.url).getGrant(options.grantId);
  } catch (error) {
    return printFailure(grantFailure(error, options.grantId), options.json);
  }
  if (options.json) printJson(grantJson(grant));
  else process.stdout.write(`${grantDetails(grant)}\n`);
  return EXIT.ok;
}

/** `grantvault grants revoke GRANT_ID [--reason TEXT]`: a confirmation line, or the revoked grant as JSON. */
export async function grantsRevokeCommand(
  options: CommonOptions & { grantId: string; reason: string | undefined },
): Promise<number> {
  let grant: Grant;
  try {
    grant = await openVault(options.url).revokeGrant(
      options.grantId,
      options.reason === undefined ? {} : { reason: options.reason },
    );
  } catch (error) {
    return printFailure(grantFailure(error, options.grantId), options.json);
  }
  if (options.json) printJson(grantJson(grant));
  else {
    process.stdout.write(
      `Revoked ${grant.grantId} (${grant.providerId}, ${printable(grant.accountIdentifier)}); its tokens are deleted.\n`,
    );
  }
  return EXIT.ok;
}

export function openVault(url: string | undefined): Vault {
  return new Vault(url === undefined ? {} : { baseUrl: url });
}

/** The message for a grant id the vault does not know (for this app), else the common failures. */
export function grantFailure(error: unknown, grantId: string): Failure {
  if (error instanceof GrantNotFoundError) {
    return { exit: EXIT.failed, code: error.code, message: `no grant ${grantId} for this app` };
  }
  return commonFailure(error);
}

/** ISO 8601 to the second, or "never". */
function formatDate(date: Date | null): string {
  return date === null ? "never" : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function grantListJson(grant: Grant) {
  return {
    grant_id: grant.grantId,
    provider_id: grant.providerId,
    account_identifier: grant.accountIdentifier,
    scopes: grant.scopes,
    status: grant.status,
    status_reason: grant.statusReason,
    expires_at: grant.expiresAt?.toISOString() ?? null,
    last_used_at: grant.lastUsedAt?.toISOString() ?? null,
    created_at: grant.createdAt.toISOString(),
  };
}

/** Everything the vault says about one grant, with the API's keys. */
function grantJson(grant: Grant) {
  const policy = grant.grantPolicy;
  return {
    ...grantListJson(grant),
    grant_policy:
      policy === null
        ? null
        : {
            ...(policy.maxTtlSeconds === undefined ? {} : { max_ttl_seconds: policy.maxTtlSeconds }),
            ...(policy.defaultTtlSeconds === undefined
              ? {}
              : { default_ttl_seconds: policy.defaultTtlSeconds }),
          },
    updated_at: grant.updatedAt.toISOString(),
  };
}

function grantDetails(grant: Grant): string {
  const policy = grant.grantPolicy;
  const policyText = [
    policy?.maxTtlSeconds === undefined ? null : `max TTL ${policy.maxTtlSeconds} s`,
    policy?.defaultTtlSeconds === undefined ? null : `default TTL ${policy.defaultTtlSeconds} s`,
  ]
    .filter((part) => part !== null)
    .join(", ");
  return formatTable([
    ["Grant ID:", grant.grantId],
    ["Provider:", grant.providerId],
    ["Account:", grant.accountIdentifier],
    ["Status:", grant.status],
    ...(grant.statusReason === null ? [] : [["Status reason:", grant.statusReason.replace(/\s+/g, " ")]]),
    ["Scopes:", grant.scopes.join(" ")],
    ["Grant policy:", policyText || "none"],
    ["Expires:", formatDate(grant.expiresAt)],
    ["Last used:", formatDate(grant.lastUsedAt)],
    ["Created:", formatDate(grant.createdAt)],
    ["Updated:", formatDate(grant.updatedAt)],
  ]);
}
