import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError, Keyring, type MasterKey, sealedKeyId, sealedPrefix } from "./keyring.js";

const BINDING = "credentials/grant_0123/secret";

function key(id: string, bytes: Buffer = randomBytes(32)): MasterKey {
  return { id, key: bytes };
}

/** The four parts of a sealed value, with the iv and body decoded. */
function parts(sealed: string): { format: string; keyId: string; iv: Buffer; body: Buffer } {
  const [format = "", keyId = "", iv = "", body = "", ...rest] = sealed.split(":");
  expect(rest).toEqual([]);
  return { format, keyId, iv: Buffer.from(iv, "base64url"), body: Buffer.from(body, "base64url") };
}

function assemble(format: string, keyId: string, iv: Buffer, body: Buffer): string {
  return [format, keyId, iv.toString("base64url"), body.toString("base64url")].join(":");
}

function flipBit(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] ?? 0) ^ 0x01;
  return copy;
}

/** Runs `fn`, expects a DecryptionError, and returns it. */
function decryptionFailure(fn: () => unknown): DecryptionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DecryptionError);
    return error as DecryptionError;
  }
  throw new Error("expected a DecryptionError, but the value opened");
}

describe("Keyring", () => {
  it("round-trips text, including empty and non-ASCII text", () => {
    const ring = new Keyring([key("k1")]);
    for (const text of ["", "hello", '{"accessToken":"ya29.a0Af"}', "🔑 clé ключ", "x".repeat(10_000)]) {
      const sealed = ring.seal(text, BINDING);
      expect(ring.open(sealed, BINDING)).toBe(text);
    }
  });

  it("produces a gv1 envelope labelled with the primary key id that does not contain the plaintext", () => {
    const ring = new Keyring([key("primary_1"), key("older-0")]);
    const secret = `secret-${randomBytes(8).toString("hex")}`;
    const sealed = ring.seal(secret, BINDING);
    const { format, keyId, iv, body } = parts(sealed);
    expect(format).toBe("gv1");
    expect(keyId).toBe("primary_1");
    expect(iv).toHaveLength(12);
    // ciphertext (same length as the UTF-8 plaintext) + 16-byte tag
    expect(body).toHaveLength(Buffer.byteLength(secret) + 16);
    expect(sealed).not.toContain(secret);
    expect(sealed.startsWith(sealedPrefix("primary_1"))).toBe(true);
    expect(sealedKeyId(sealed)).toBe("primary_1");
  });

  it("seals the same text differently every time (random IV), and both open", () => {
    const ring = new Keyring([key("k1")]);
    const a = ring.seal("same text", BINDING);
    const b = ring.seal("same text", BINDING);
    expect(a).not.toBe(b);
    expect(parts(a).iv.equals(parts(b).iv)).toBe(false);
    expect(ring.open(a, BINDING)).toBe("same text");
    expect(ring.open(b, BINDING)).toBe("same text");
  });

  it("exposes the primary id and the key ids in order", () => {
    const ring = new Keyring([key("k2"), key("k1")]);
    expect(ring.primaryId).toBe("k2");
    expect(ring.keyIds).toEqual(["k2", "k1"]);
    expect(ring.has("k1")).toBe(true);
    expect(ring.has("k3")).toBe(false);
  });

  it("opens values sealed under an older key of the ring and seals new ones under the primary", () => {
    const k1 = key("k1");
    const old = new Keyring([k1]).seal("old secret", BINDING);
    const rotated = new Keyring([key("k2"), k1]);
    expect(rotated.open(old, BINDING)).toBe("old secret");
    expect(sealedKeyId(rotated.seal("new secret", BINDING))).toBe("k2");
  });

  it("does not open a value sealed under another key with the same id", () => {
    const sealed = new Keyring([key("k1")]).seal("text", BINDING);
    decryptionFailure(() => new Keyring([key("k1")]).open(sealed, BINDING));
  });

  describe("tampering", () => {
    const ring = new Keyring([key("k1")]);
    const secret = "tamper-target-plaintext";
    const sealed = ring.seal(secret, BINDING);
    const { format, keyId, iv, body } = parts(sealed);

    it("the untouched value opens (sanity)", () => {
      expect(ring.open(assemble(format, keyId, iv, body), BINDING)).toBe(secret);
    });

    it("fails when any bit of the IV changes", () => {
      for (const index of [0, 5, 11]) {
        decryptionFailure(() => ring.open(assemble(format, keyId, flipBit(iv, index), body), BINDING));
      }
    });

    it("fails when a ciphertext byte changes", () => {
      for (const index of [0, Math.floor(secret.length / 2), secret.length - 1]) {
        decryptionFailure(() => ring.open(assemble(format, keyId, iv, flipBit(body, index)), BINDING));
      }
    });

    it("fails when a tag byte changes", () => {
      for (const index of [body.length - 16, body.length - 1]) {
        decryptionFailure(() => ring.open(assemble(format, keyId, iv, flipBit(body, index)), BINDING));
      }
    });

    it("fails when the ciphertext is truncated or extended", () => {
      decryptionFailure(() => ring.open(assemble(format, keyId, iv, body.subarray(1)), BINDING));
      decryptionFailure(() =>
        ring.open(assemble(format, keyId, iv, Buffer.concat([body, Buffer.from([0])])), BINDING),
      );
    });

    it("fails when a character of the text form is changed", () => {
      const bodyText = sealed.split(":")[3] ?? "";
      const middle = sealed.length - bodyText.length + Math.floor(bodyText.length / 2);
      const replacement = sealed[middle] === "A" ? "B" : "A";
      const changed = sealed.slice(0, middle) + replacement + sealed.slice(middle + 1);
      expect(changed).not.toBe(sealed);
      decryptionFailure(() => ring.open(changed, BINDING));
    });

    it("fails when a value is relabelled to another key id, even one with the same key bytes", () => {
      const bytes = randomBytes(32);
      const both = new Keyring([key("k1", bytes), key("k2", Buffer.from(bytes))]);
      const original = both.seal(secret, BINDING);
      expect(sealedKeyId(original)).toBe("k1");
      expect(both.open(original, BINDING)).toBe(secret);
      const relabelled = original.replace(/^gv1:k1:/, "gv1:k2:");
      expect(relabelled).not.toBe(original);
      const error = decryptionFailure(() => both.open(relabelled, BINDING));
      expect(error.message).not.toContain(secret);
    });
  });

  it("fails to open a value under another binding (moved row or field)", () => {
    const ring = new Keyring([key("k1")]);
    const sealed = ring.seal("bound secret", "credentials/grant_a/secret");
    expect(ring.open(sealed, "credentials/grant_a/secret")).toBe("bound secret");
    for (const other of [
      "credentials/grant_b/secret",
      "credentials/grant_a/other",
      "",
      "providers/grant_a/secret",
    ]) {
      const error = decryptionFailure(() => ring.open(sealed, other));
      expect(error.message).not.toContain("bound secret");
    }
  });

  it("names an unknown key id in the error but never the plaintext", () => {
    const secret = `secret-${randomBytes(8).toString("hex")}`;
    const sealed = new Keyring([key("k_old-1")]).seal(secret, BINDING);
    const error = decryptionFailure(() => new Keyring([key("k2")]).open(sealed, BINDING));
    expect(error.message).toContain("k_old-1");
    expect(error.message).not.toContain(secret);
    expect(error.name).toBe("DecryptionError");
  });

  it("rejects malformed input with a DecryptionError", () => {
    const ring = new Keyring([key("k1")]);
    const sealed = ring.seal("text", BINDING);
    const [, , iv = "", body = ""] = sealed.split(":");
    const malformed = [
      "",
      "text",
      "gv1:k1",
      `gv1:k1:${iv}`,
      `gv1:k1:${iv}:${body}:extra`,
      `gv2:k1:${iv}:${body}`,
      `GV1:k1:${iv}:${body}`,
      `gv1:k1::${body}`,
      `gv1:k1:${iv}:`,
      `gv1:k1:${iv.slice(0, 8)}:${body}`,
      `gv1:k1:${iv}:${Buffer.alloc(15).toString("base64url")}`,
      `gv1:k1:!!!!!!!!!!!!!!!!:${body}`,
    ];
    for (const value of malformed) {
      expect(() => ring.open(value, BINDING), value).toThrow(DecryptionError);
    }
    expect(sealedKeyId("text")).toBeNull();
    expect(sealedKeyId(`gv1:k1:${iv}`)).toBeNull();
  });

  it("rejects an empty ring, bad key lengths, duplicate ids and bad ids", () => {
    expect(() => new Keyring([])).toThrow(/at least one key/);
    expect(() => new Keyring([key("k1", randomBytes(31))])).toThrow(/32 bytes/);
    expect(() => new Keyring([key("k1", randomBytes(33))])).toThrow(/32 bytes/);
    expect(() => new Keyring([key("k1", Buffer.alloc(0))])).toThrow(/32 bytes/);
    expect(() => new Keyring([key("k1"), key("k2", randomBytes(16))])).toThrow(/k2 must be 32 bytes/);
    expect(() => new Keyring([key("k1"), key("k2"), key("k1")])).toThrow(/duplicate key id k1/);
    for (const id of ["", "k:1", "k 1", "k/1", "ключ", "k".repeat(33), "gv1:k1"]) {
      expect(() => new Keyring([key(id)]), id).toThrow(/invalid key id/);
    }
    // The longest and the widest allowed ids are fine.
    expect(new Keyring([key("k".repeat(32)), key("A-z_9")]).keyIds).toHaveLength(2);
  });
});
