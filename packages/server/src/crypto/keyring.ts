import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * AES-256-GCM envelope for secrets at rest.
 *
 * A sealed value is `gv1:<key id>:<iv>:<ciphertext+tag>` (base64url parts). The key id tells which
 * key of the ring opens it, so keys can be rotated without a flag day. The caller binds every
 * ciphertext to where it lives (`table/row/field`) as additional authenticated data: a ciphertext
 * copied to another row or field fails to open.
 */
export interface MasterKey {
  id: string;
  /** 32 raw bytes. */
  key: Buffer;
}

const FORMAT = "gv1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A sealed value that cannot be opened: wrong key, wrong binding, or tampered. Never carries plaintext. */
export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt secret: ${reason}`);
    this.name = "DecryptionError";
  }
}

export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly primaryId: string;

  /** The first key is the primary: new secrets are sealed with it. */
  constructor(keys: readonly MasterKey[]) {
    const [primary] = keys;
    if (!primary) throw new Error("a key ring needs at least one key");
    const map = new Map<string, Buffer>();
    for (const { id, key } of keys) {
      if (!KEY_ID_PATTERN.test(id)) throw new Error(`invalid key id ${JSON.stringify(id)}`);
      if (key.length !== 32) throw new Error(`key ${id} must be 32 bytes, got ${key.length}`);
      if (map.has(id)) throw new Error(`duplicate key id ${id}`);
      map.set(id, key);
    }
    this.#keys = map;
    this.primaryId = primary.id;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  has(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /**
   * A 32-byte key for another purpose, derived (HKDF-SHA-256) from master key `keyId` and the
   * purpose's fixed `info` label; null when the ring has no such key. The master key itself never
   * leaves the ring, and keys for different purposes are independent.
   */
  derive(keyId: string, info: string): Buffer | null {
    const key = this.#keys.get(keyId);
    return key ? Buffer.from(hkdfSync("sha256", key, Buffer.alloc(0), info, 32)) : null;
  }

  /** Seals `plaintext` under the primary key, bound to `binding` (e.g. `credentials/grant_x/tokens`). */
  seal(plaintext: string, binding: string): string {
    const key = this.#keys.get(this.primaryId) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(aad(this.primaryId, binding));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.primaryId, iv.toString("base64url"), body.toString("base64url")].join(":");
  }

  /** Opens a sealed value; throws DecryptionError unless it was sealed with this binding and is intact. */
  open(sealed: string, binding: string): string {
    const parts = sealed.split(":");
    if (parts.length !== 4 || parts[0] !== FORMAT) throw new DecryptionError("not a sealed value");
    const [, keyId = "", ivText = "", bodyText = ""] = parts;
    const key = this.#keys.get(keyId);
    if (!key) throw new DecryptionError(`key ${JSON.stringify(keyId)} is not in the key ring`);
    const iv = Buffer.from(ivText, "base64url");
    const body = Buffer.from(bodyText, "base64url");
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError("malformed");
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(aad(keyId, binding));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new DecryptionError("authentication failed (tampered, or bound to another row or field)");
    }
  }
}

/** The key id of a sealed value, or null when it is not one. */
export function sealedKeyId(sealed: string): string | null {
  const parts = sealed.split(":");
  return parts.length === 4 && parts[0] === FORMAT ? (parts[1] ?? null) : null;
}

/** The prefix every value sealed under `keyId` starts with (for finding them in storage). */
export function sealedPrefix(keyId: string): string {
  return `${FORMAT}:${keyId}:`;
}

function aad(keyId: string, binding: string): Buffer {
  // The key id is authenticated too, so a sealed value cannot be relabelled to another key.
  return Buffer.from(`${FORMAT}\u0000${keyId}\u0000${binding}`, "utf8");
}
