import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { LOCAL_CREDENTIALS_FILE, LOCAL_DATA_DIR, localCredentialsSchema } from "@grantvault/protocol";
import { VaultValueError } from "./errors.js";

/** The key and URL a client uses, and where they came from. */
export interface VaultAccess {
  apiKey: string;
  baseUrl: string | undefined;
  /** The local credentials file they were read from; undefined when given or from the environment. */
  localFile?: string;
}

let announced = false;

/**
 * The API key (and URL) a client runs with: the ones passed in, else GRANTVAULT_API_KEY and
 * GRANTVAULT_URL, else the local credentials file of an embedded vault found by walking up from
 * the working directory (said once on stderr). The file's key is only used with the file's own
 * URL: a client pointed at another vault never sends it there.
 */
export function resolveVaultAccess(
  given: { apiKey?: string | undefined; baseUrl?: string | undefined },
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): VaultAccess {
  const apiKey = given.apiKey ?? env.GRANTVAULT_API_KEY;
  const baseUrl = given.baseUrl ?? env.GRANTVAULT_URL;
  if (apiKey) return { apiKey, baseUrl };
  const local = findLocalCredentials(cwd);
  if (local && (baseUrl === undefined || sameOrigin(baseUrl, local.credentials.url))) {
    if (!announced) {
      announced = true;
      process.stderr.write(
        `grantvault: using the local vault ${local.credentials.url} (app "${local.credentials.app_name}", key from ${local.path})\n`,
      );
    }
    return {
      apiKey: local.credentials.api_key,
      baseUrl: baseUrl ?? local.credentials.url,
      localFile: local.path,
    };
  }
  throw new VaultValueError(
    "invalid_argument",
    local
      ? `no API key for ${baseUrl}: pass { apiKey } or set GRANTVAULT_API_KEY (the local vault's key in ${local.path} is only sent to ${local.credentials.url})`
      : `no API key: set GRANTVAULT_API_KEY (or pass { apiKey }), or run inside the folder where the vault was started (its ${LOCAL_DATA_DIR}/ holds the key). A vault's operator mints one with \`npx grantvault-server keys create --app default\``,
  );
}

/** The nearest `.grantvault/credentials.json` in `cwd` or a folder above it, or null. */
export function findLocalCredentials(cwd: string) {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const path = join(dir, LOCAL_DATA_DIR, LOCAL_CREDENTIALS_FILE);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat?.isFile()) {
      // Someone else's file (a `.grantvault/` planted in /tmp, say) would send this client's
      // connects and calls to their vault: refused, as git refuses a repository it does not own.
      if (process.getuid !== undefined && stat.uid !== process.getuid()) {
        throw new VaultValueError(
          "invalid_argument",
          `${path} belongs to another user; not using it (set GRANTVAULT_API_KEY and GRANTVAULT_URL instead)`,
        );
      }
      if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
        throw new VaultValueError(
          "invalid_argument",
          `${path} holds an API key but other users can read it; run: chmod 600 ${path}`,
        );
      }
      const parsed = localCredentialsSchema.safeParse(parseJson(readFileSync(path, "utf8")));
      if (!parsed.success) {
        throw new VaultValueError("invalid_argument", `${path} is not a Grantvault credentials file`);
      }
      return { path, credentials: parsed.data };
    }
    if (dirname(dir) === dir) return null;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sameOrigin(a: string, b: string): boolean {
  return URL.canParse(a) && URL.canParse(b) && new URL(a).origin === new URL(b).origin;
}
