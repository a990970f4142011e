import { randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import { isTouchDue, LAST_USED_RESOLUTION_MS } from "../last-used.js";
import type { OperatorKeyRecord } from "../storage/operator-keys-repository.js";
import type { Store } from "../storage/store.js";
import { hashApiKey, type KeyRefusal } from "./api-keys.js";

/** Every operator key starts with this: told apart from an app's key (`gv_live_`) by its shape. */
export const OPERATOR_KEY_PREFIX = "gv_op_";
const DISPLAY_LENGTH = OPERATOR_KEY_PREFIX.length + 8;
const OPERATOR_KEY_SHAPE = new RegExp(`^${OPERATOR_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);

export interface IssuedOperatorKey {
  key: OperatorKeyRecord;
  /** The whole key: shown to the operator once, never stored. */
  plaintext: string;
}

export type OperatorAuthentication =
  | { ok: true; keyId: string; keyPrefix: string }
  | { ok: false; reason: Exclude<KeyRefusal, "api_key_disabled" | "app_disabled"> };

/**
 * The operator's vault-wide keys: they manage the control plane (apps, their providers and keys)
 * over HTTP and use no app's grants. Only the server CLI creates, lists and revokes them (whoever
 * runs it holds the database already); stored as SHA-256 hashes only, like API keys.
 */
export class OperatorKeyService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async create(name: string | null, expiresAt: number | null): Promise<IssuedOperatorKey> {
    // 32 random bytes: unguessable, so a fast hash is the right way to store it (no salt needed).
    const plaintext = `${OPERATOR_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const key: OperatorKeyRecord = {
      id: newId("opk"),
      name,
      prefix: plaintext.slice(0, DISPLAY_LENGTH),
      createdAt: this.clock.now(),
      lastUsedAt: null,
      expiresAt,
      revokedAt: null,
    };
    await this.store.operatorKeys.insert({ ...key, hash: hashApiKey(plaintext) });
    return { key, plaintext };
  }

  async authenticate(presented: string): Promise<OperatorAuthentication> {
    if (!isOperatorKey(presented)) return { ok: false, reason: "invalid_api_key" };
    const key = await this.store.operatorKeys.findByHash(hashApiKey(presented));
    if (!key) return { ok: false, reason: "invalid_api_key" };
    if (key.revokedAt !== null) return { ok: false, reason: "api_key_revoked" };
    const now = this.clock.now();
    if (key.expiresAt !== null && key.expiresAt <= now) return { ok: false, reason: "api_key_expired" };
    if (isTouchDue(key.lastUsedAt, now)) {
      await this.store.operatorKeys.touch(key.id, now, LAST_USED_RESOLUTION_MS);
    }
    return { ok: true, keyId: key.id, keyPrefix: key.prefix };
  }

  list(): Promise<OperatorKeyRecord[]> {
    return this.store.operatorKeys.list();
  }

  /** False when there is no such key or it was revoked already. */
  revoke(id: string): Promise<boolean> {
    return this.store.operatorKeys.revoke(id, this.clock.now());
  }
}

/** True when `presented` has the shape of an operator key (no lookup). */
export function isOperatorKey(presented: string): boolean {
  return OPERATOR_KEY_SHAPE.test(presented);
}
