import { readFile, rm, writeFile } from "node:fs/promises";
import { Keyring } from "./keyring.js";
import { generateMasterKey, readKeyFile, writeKeyFile } from "./master-keys.js";

/**
 * The new primary key of a rotation that has not finished yet, written next to the key file.
 * The new key must be in the key file *before* secrets move to it (running servers reload the
 * file and must be able to read what was moved), so an interrupted rotation leaves a key file
 * with the new key first. The marker says so: a re-run finishes that rotation instead of
 * prepending yet another key.
 */
export function rotationMarkerPath(keyFilePath: string): string {
  return `${keyFilePath}.rotating`;
}

export interface FileRotation {
  keyring: Keyring;
  /** The key this rotation moves secrets to. */
  primaryId: string;
  /** True when this call added the key; false when it resumes an interrupted rotation. */
  added: boolean;
}

/** Starts a rotation of the key file, or resumes the one an earlier run left unfinished. */
export async function beginFileRotation(keyFilePath: string): Promise<FileRotation> {
  const current = (await readKeyFile(keyFilePath)) ?? [];
  const pending = await readMarker(keyFilePath);
  const [primary] = current;
  if (primary && pending === primary.id) {
    return { keyring: new Keyring(current), primaryId: primary.id, added: false };
  }
  const fresh = generateMasterKey();
  // Marker first: a crash between the two writes leaves a marker naming a key that is not in
  // the file, which the next run ignores.
  await writeFile(rotationMarkerPath(keyFilePath), `${fresh.id}\n`, { mode: 0o600 });
  await writeKeyFile(keyFilePath, [fresh, ...current]);
  return { keyring: new Keyring([fresh, ...current]), primaryId: fresh.id, added: true };
}

/** Called once every readable secret was moved to the new primary key. */
export async function finishFileRotation(keyFilePath: string): Promise<void> {
  await rm(rotationMarkerPath(keyFilePath), { force: true });
}

async function readMarker(keyFilePath: string): Promise<string | null> {
  try {
    return (await readFile(rotationMarkerPath(keyFilePath), "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
