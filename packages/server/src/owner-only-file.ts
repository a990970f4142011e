import { chmod, readFile, rename, stat, writeFile } from "node:fs/promises";

/**
 * Files that hold secrets (the key file, the local credentials file, the demo provider's secrets):
 * readable by their owner only, and replaced whole, never half-written.
 */

/** The file's text, or null when it does not exist; refused when other users can read it. */
export async function readOwnerOnlyFile(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const { mode } = await stat(path);
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return text;
}

/**
 * Writes `text` to a temporary file with mode 0600 (also when the umask would widen it), then
 * renames it over `path`: a reader sees the old file or the new one, and a crash never leaves a
 * secret in a file with a looser mode.
 */
export async function writeOwnerOnlyFile(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, { mode: 0o600, flag: "w" });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}
