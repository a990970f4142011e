import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  LOCAL_CREDENTIALS_FILE,
  LOCAL_DATA_DIR,
  type LocalCredentials,
  localCredentialsSchema,
} from "@grantvault/protocol";
import { readOwnerOnlyFile, writeOwnerOnlyFile } from "./owner-only-file.js";

/**
 * The embedded default's data directory nearest to `cwd`: `cwd/.grantvault` or the same in a
 * folder above, as git finds `.git`. So the operator CLI run from a subfolder of the project
 * (`examples/web`) opens the project's vault instead of creating a second, empty one.
 */
export function findLocalDataDir(cwd: string): string | null {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, LOCAL_DATA_DIR);
    const stat = statSync(candidate, { throwIfNoEntry: false });
    if (stat?.isDirectory()) {
      // Another user's (planted in /tmp, say) is not walked into, as git refuses a repository it
      // does not own; --data-dir still opens one deliberately.
      if (process.getuid !== undefined && stat.uid !== process.getuid()) {
        throw new Error(`${candidate} belongs to another user; pass --data-dir to use a vault deliberately`);
      }
      return candidate;
    }
    if (dirname(dir) === dir) return null;
  }
}

/** Where the first start leaves the first app's key for the clients on this machine. */
export function localCredentialsPath(dataDir: string): string {
  return join(dataDir, LOCAL_CREDENTIALS_FILE);
}

/**
 * Writes the local credentials file owner-only, through a temporary file and a rename, so a
 * client never reads half a file and a crash never leaves a key in a file with a looser mode.
 */
export async function writeLocalCredentials(dataDir: string, credentials: LocalCredentials): Promise<string> {
  const path = localCredentialsPath(dataDir);
  await writeOwnerOnlyFile(path, `${JSON.stringify(credentials, null, 2)}\n`);
  return path;
}

/**
 * Points an existing local credentials file at the URL this start serves on (a later start may use
 * another port), so the clients that read it keep finding the vault. A file that is not ours is
 * left alone. Returns its path when there is one.
 */
export async function followLocalCredentials(dataDir: string, url: string): Promise<string | null> {
  const path = localCredentialsPath(dataDir);
  const text = await readOwnerOnlyFile(path);
  if (text === null) return null;
  let parsed: ReturnType<typeof localCredentialsSchema.safeParse>;
  try {
    parsed = localCredentialsSchema.safeParse(JSON.parse(text));
  } catch {
    return null;
  }
  if (!parsed.success) return null;
  if (parsed.data.url !== url) await writeLocalCredentials(dataDir, { ...parsed.data, url });
  return path;
}
