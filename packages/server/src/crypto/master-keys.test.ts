import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Keyring } from "./keyring.js";
import {
  formatMasterKeys,
  generateMasterKey,
  KEY_FILE_NAME,
  loadKeyring,
  parseMasterKeys,
  readKeyFile,
  writeKeyFile,
} from "./master-keys.js";

const BINDING = "credentials/grant_0123/secret";

function b64(bytes: Buffer): string {
  return bytes.toString("base64");
}

/** Runs `fn`, expects it to throw, and returns the message. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error("expected a rejection");
}

describe("parseMasterKeys", () => {
  it("parses entries separated by commas and newlines, the primary first", () => {
    const [a, b, c, d] = [randomBytes(32), randomBytes(32), randomBytes(32), randomBytes(32)];
    const text = `k1:${b64(a)},k2:${b64(b)}\nold_key-3:${b64(c)}\r\n , \n\n  k4:${b64(d)}  \n`;
    const keys = parseMasterKeys(text, "test");
    expect(keys.map((k) => k.id)).toEqual(["k1", "k2", "old_key-3", "k4"]);
    expect(keys[0]?.key.equals(a)).toBe(true);
    expect(keys[1]?.key.equals(b)).toBe(true);
    expect(keys[2]?.key.equals(c)).toBe(true);
    expect(keys[3]?.key.equals(d)).toBe(true);
  });

  it("skips whole-line comments, words and all", () => {
    const key = Buffer.alloc(32, 7).toString("base64");
    const keys = parseMasterKeys(`# rotated 2026-01-01: old key below\nk1:${key}\n  # note: spare\n`, "file");
    expect(keys.map((entry) => entry.id)).toStrictEqual(["k1"]);
  });

  it("parses a single entry and what formatMasterKeys writes", () => {
    const single = randomBytes(32);
    expect(parseMasterKeys(`only:${b64(single)}`, "env")).toEqual([{ id: "only", key: single }]);
    const keys = [generateMasterKey(), generateMasterKey()];
    expect(parseMasterKeys(formatMasterKeys(keys), "file")).toEqual(keys);
  });

  it("rejects text without any key, naming the origin", () => {
    for (const text of ["", "   \n , \n"]) {
      const message = messageOf(() => parseMasterKeys(text, "GRANTVAULT_MASTER_KEY"));
      expect(message).toContain("GRANTVAULT_MASTER_KEY");
      expect(message).toMatch(/no key found/);
    }
  });

  it("rejects a bad key id without echoing the key material", () => {
    const material = b64(randomBytes(32));
    for (const entry of [`k/1:${material}`, `:${material}`, material, `${"k".repeat(33)}:${material}`]) {
      const message = messageOf(() => parseMasterKeys(`good:${b64(randomBytes(32))},${entry}`, "origin-x"));
      expect(message).toContain("origin-x");
      expect(message).toMatch(/entry 2 must look like `id:base64`/);
      expect(message).not.toContain(material);
      expect(message).not.toContain(material.slice(0, 12));
    }
  });

  it("rejects a key of the wrong length, naming the key id but not the key material", () => {
    for (const length of [0, 16, 31, 33, 64]) {
      const material = b64(randomBytes(length));
      const message = messageOf(() => parseMasterKeys(`short_key:${material}`, "origin-y"));
      expect(message).toContain("origin-y");
      expect(message).toContain("short_key");
      expect(message).toContain(`got ${length} bytes`);
      if (material !== "") {
        expect(message).not.toContain(material);
        expect(message).not.toContain(material.slice(0, 12));
      }
    }
  });
});

describe("generateMasterKey", () => {
  it("makes a 32-byte key with a dated, unique id", () => {
    const a = generateMasterKey(new Date("2026-11-30T12:00:00Z"));
    const b = generateMasterKey(new Date("2026-11-30T12:00:00Z"));
    expect(a.id).toMatch(/^k20261130-[0-9a-f]{4}$/);
    expect(a.key).toHaveLength(32);
    expect(a.key.equals(b.key)).toBe(false);
    // Usable in a ring.
    expect(new Keyring([a]).primaryId).toBe(a.id);
  });
});

describe("key files", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "gv-master-keys-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writeKeyFile writes owner-only, atomically, creating the directory; readKeyFile reads it back", async () => {
    const path = join(dir, "nested", "data", KEY_FILE_NAME);
    const keys = [generateMasterKey(), generateMasterKey()];
    await writeKeyFile(path, keys);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "nested", "data"))).mode & 0o077).toBe(0);
    expect(await readKeyFile(path)).toEqual(keys);
    // No temporary file is left behind.
    expect(await readdir(join(dir, "nested", "data"))).toEqual([KEY_FILE_NAME]);

    // Rewriting replaces the content and keeps the mode.
    const rotated = [generateMasterKey(), ...keys];
    await writeKeyFile(path, rotated);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readKeyFile(path)).toEqual(rotated);
  });

  it("readKeyFile answers null when there is no file", async () => {
    expect(await readKeyFile(join(dir, KEY_FILE_NAME))).toBeNull();
  });

  it("loadKeyring creates the key file with mode 0600 when allowed, and reuses it afterwards", async () => {
    const first = await loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: true });
    const path = join(dir, KEY_FILE_NAME);
    expect(first.created).toBe(true);
    expect(first.source).toEqual({ kind: "file", path });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(first.keyring.keyIds).toHaveLength(1);
    const contentAfterCreate = await readFile(path, "utf8");

    const second = await loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: true });
    expect(second.created).toBe(false);
    expect(second.source).toEqual({ kind: "file", path });
    expect(second.keyring.primaryId).toBe(first.keyring.primaryId);
    expect(await readFile(path, "utf8")).toBe(contentAfterCreate);
    // Same key bytes, not just the same id.
    expect(second.keyring.open(first.keyring.seal("persisted", BINDING), BINDING)).toBe("persisted");

    // Reading an existing file does not need permission to create one.
    const third = await loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: false });
    expect(third.keyring.primaryId).toBe(first.keyring.primaryId);
    expect(third.created).toBe(false);
  });

  it("loadKeyring refuses a key file other users can read, telling to chmod 600", async () => {
    const path = join(dir, KEY_FILE_NAME);
    await writeKeyFile(path, [generateMasterKey()]);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(path, mode);
      const message = await rejectionOf(
        loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: true }),
      );
      expect(message).toContain(`chmod 600 ${path}`);
      expect(message).toContain(mode.toString(8));
      await expect(readKeyFile(path)).rejects.toThrow(/chmod 600/);
    }
    // The refused file was left alone, not replaced by a fresh key.
    expect((await stat(path)).mode & 0o777).toBe(0o604);
    await chmod(path, 0o600);
    expect((await loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: false })).created).toBe(
      false,
    );
  });

  it("loadKeyring without an environment value or a file, and not allowed to create one, asks for GRANTVAULT_MASTER_KEY", async () => {
    const message = await rejectionOf(
      loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: false }),
    );
    expect(message).toContain("GRANTVAULT_MASTER_KEY");
    expect(await readdir(dir)).toEqual([]);
  });

  it("loadKeyring prefers the environment value over the key file, and creates no file for it", async () => {
    const envKey = randomBytes(32);
    const fromEnv = await loadKeyring({
      envValue: `env_k:${b64(envKey)}`,
      dataDir: dir,
      mayCreateFile: true,
    });
    expect(fromEnv.source).toEqual({ kind: "env" });
    expect(fromEnv.created).toBe(false);
    expect(fromEnv.keyring.primaryId).toBe("env_k");
    expect(await readdir(dir)).toEqual([]);

    await writeKeyFile(join(dir, KEY_FILE_NAME), [{ id: "file_k", key: randomBytes(32) }]);
    const withBoth = await loadKeyring({
      envValue: `env_k:${b64(envKey)}`,
      dataDir: dir,
      mayCreateFile: true,
    });
    expect(withBoth.source).toEqual({ kind: "env" });
    expect(withBoth.keyring.keyIds).toEqual(["env_k"]);
    expect(
      withBoth.keyring.open(new Keyring([{ id: "env_k", key: envKey }]).seal("x", BINDING), BINDING),
    ).toBe("x");
  });

  it("loadKeyring reports a bad environment value by its name, without the key material", async () => {
    const material = b64(randomBytes(20));
    const message = await rejectionOf(
      loadKeyring({ envValue: `k1:${material}`, dataDir: dir, mayCreateFile: true }),
    );
    expect(message).toContain("GRANTVAULT_MASTER_KEY");
    expect(message).not.toContain(material);
  });

  it("loadKeyring reports a corrupt key file by its path, without the key material", async () => {
    const path = join(dir, KEY_FILE_NAME);
    const material = b64(randomBytes(24));
    await writeFile(path, `k1:${material}\n`, { mode: 0o600 });
    const message = await rejectionOf(
      loadKeyring({ envValue: undefined, dataDir: dir, mayCreateFile: true }),
    );
    expect(message).toContain(path);
    expect(message).not.toContain(material);
    // Not silently replaced by a new key.
    expect(await readFile(path, "utf8")).toBe(`k1:${material}\n`);
  });
});
