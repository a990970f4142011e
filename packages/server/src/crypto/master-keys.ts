import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { readOwnerOnlyFile, writeOwnerOnlyFile } from "../owner-only-file.js";
import { KEY_ID_PATTERN, Keyring, type MasterKey } from "./keyring.js";

/**
 * Where the master keys come from: `GRANTVAULT_MASTER_KEY` (production: every server process gets
 * the same value), or a key file in the data directory (the embedded default, created on first start).
 * Both hold the same text: `id:base64` entries separated by commas or newlines, the primary first.
 */
export type KeySource = { kind: "env" } | { kind: "file"; path: string };

export const KEY_FILE_NAME = "master.key";

export function parseMasterKeys(text: string, origin: string): MasterKey[] {
  const entries = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((entry) => entry !== "");
  if (entries.length === 0)
    throw new Error(`${origin}: no key found; expected one or more \`id:base64\` entries`);
  return entries.map((entry, index) => {
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    // Never echo the entry itself: it is a secret.
    if (!KEY_ID_PATTERN.test(id)) {
      throw new Error(
        `${origin}: entry ${index + 1} must look like \`id:base64\` (id: letters, digits, _ or -)`,
      );
    }
    const key = Buffer.from(entry.slice(colon + 1), "base64");
    if (key.length !== 32) {
      throw new Error(`${origin}: key ${id} must be 32 bytes of base64 (got ${key.length} bytes)`);
    }
    return { id, key };
  });
}

export function formatMasterKeys(keys: readonly MasterKey[]): string {
  return `${keys.map(({ id, key }) => `${id}:${key.toString("base64")}`).join("\n")}\n`;
}

/** A fresh random key with a dated, unique id such as `k20261130-9f3a`. */
export function generateMasterKey(now = new Date()): MasterKey {
  const day = now.toISOString().slice(0, 10).replaceAll("-", "");
  return { id: `k${day}-${randomBytes(2).toString("hex")}`, key: randomBytes(32) };
}

export interface LoadedKeyring {
  keyring: Keyring;
  source: KeySource;
  /** True when this call created the key file (first start of the embedded default). */
  created: boolean;
}

/**
 * Loads the key ring from the environment value when given, else from the key file in `dataDir`.
 * The key file is only created when `mayCreateFile` (the embedded default): a fleet of server
 * processes must share one key, which a file on one machine cannot promise.
 */
export async function loadKeyring(options: {
  envValue: string | undefined;
  dataDir: string;
  mayCreateFile: boolean;
}): Promise<LoadedKeyring> {
  if (options.envValue !== undefined) {
    return {
      keyring: new Keyring(parseMasterKeys(options.envValue, "GRANTVAULT_MASTER_KEY")),
      source: { kind: "env" },
      created: false,
    };
  }
  const path = join(options.dataDir, KEY_FILE_NAME);
  const existing = await readKeyFile(path);
  if (existing) return { keyring: new Keyring(existing), source: { kind: "file", path }, created: false };
  if (!options.mayCreateFile) {
    throw new Error(
      "GRANTVAULT_MASTER_KEY is required with PostgreSQL (every server process needs the same key); " +
        "create one with `grantvault-server keys generate`",
    );
  }
  await writeKeyFile(path, [generateMasterKey()]);
  return {
    keyring: new Keyring((await readKeyFile(path)) ?? []),
    source: { kind: "file", path },
    created: true,
  };
}

export async function readKeyFile(path: string): Promise<MasterKey[] | null> {
  const text = await readOwnerOnlyFile(path);
  return text === null ? null : parseMasterKeys(text, path);
}

/** Replaces the key file atomically (write, then rename), readable by the owner only. */
export async function writeKeyFile(path: string, keys: readonly MasterKey[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeOwnerOnlyFile(path, formatMasterKeys(keys));
}
