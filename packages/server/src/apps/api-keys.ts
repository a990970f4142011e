import { hash, randomBytes } from "node:crypto";
import { API_KEY_SCOPES, type ApiKeyScope } from "@grantvault/protocol";
import type { Clock } from "../clock.js";
import { newId } from "../ids.js";
import { isTouchDue, LAST_USED_RESOLUTION_MS } from "../last-used.js";
import { type ApiKeyRecord, keyStatus } from "../storage/api-keys-repository.js";
import type { AppRecord } from "../storage/apps-repository.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";

/** Every API key starts with this, so a leaked one is recognisable (and can be scanned for). */
export const API_KEY_PREFIX = "gv_live_";
/** Characters kept for display: the prefix plus 8 random ones, enough to tell keys apart in audit rows. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;
/** What every issued key looks like: the prefix and 32 random bytes in base64url. */
const API_KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);

export interface IssuedApiKey {
  key: ApiKeyRecord;
  /** The whole key: shown to the operator once, never stored. */
  plaintext: string;
}

export type Authentication =
  | {
      ok: true;
      appId: string;
      keyId: string;
      keyPrefix: string;
      scopes: readonly ApiKeyScope[];
      expiresAt: number | null;
    }
  | { ok: false; reason: KeyRefusal };

/**
 * Why a presented key is refused: a code of the error registry, each a 401 but `app_disabled`
 * (403: the key is good, its app is switched off).
 */
export type KeyRefusal =
  | "invalid_api_key"
  | "api_key_revoked"
  | "api_key_disabled"
  | "api_key_expired"
  | "app_disabled";

/** An authentication and what the same query read of the grant the call names. */
export interface KeyAndGrant {
  auth: Authentication;
  grant: GrantRecord | null;
  sealedCredential: string | null;
  keyLastUsedAt: number | null;
}

/** Apps and their API keys: issuing, checking, revoking. Keys are stored as SHA-256 hashes only. */
export class ApiKeyService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  async createApp(
    name: string,
    allowedOrigins: string[] = [],
  ): Promise<{ app: AppRecord; apiKey: IssuedApiKey }> {
    const app: AppRecord = {
      id: newId("app"),
      name,
      createdAt: this.clock.now(),
      allowedOrigins,
      disabledAt: null,
      userGrantsNeedUserToken: true,
    };
    await this.store.apps.insert(app);
    return { app, apiKey: await this.createKey(app.id, null) };
  }

  /**
   * Issues a key. Who may ask for which scopes is {@link ApiKeyManagement}'s to decide; without
   * scopes the key gets all of them (the operator's keys).
   */
  async createKey(
    appId: string,
    name: string | null,
    scopes: readonly ApiKeyScope[] = API_KEY_SCOPES,
    createdBy: string | null = null,
    expiresAt: number | null = null,
  ): Promise<IssuedApiKey> {
    // 32 random bytes: unguessable, so a fast hash is the right way to store it (no salt needed).
    const plaintext = `${API_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
    const key: ApiKeyRecord = {
      id: newId("key"),
      appId,
      name,
      prefix: plaintext.slice(0, DISPLAY_LENGTH),
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
      scopes: API_KEY_SCOPES.filter((scope) => scopes.includes(scope)),
      createdBy,
      expiresAt,
      disabledAt: null,
    };
    await this.store.apiKeys.insert({ ...key, hash: hashApiKey(plaintext) });
    return { key, plaintext };
  }

  async authenticate(presented: string): Promise<Authentication> {
    const keyHash = keyHashOf(presented);
    if (keyHash === null) return { ok: false, reason: "invalid_api_key" };
    // Looking up by hash compares digests, so response timing reveals nothing about the key.
    return this.#judge(await this.store.apiKeys.findByHash(keyHash));
  }

  /**
   * Authenticates the key (given as {@link keyHashOf} of what was presented) and reads the grant
   * the call names in the same query (a call with a grant asks the database once instead of
   * twice). `grant` is null when the key's app has no such grant; `keyLastUsedAt` is the key
   * row's, when there is one.
   */
  async authenticateWithGrant(keyHash: string | null, grantId: string): Promise<KeyAndGrant> {
    const none = { grant: null, sealedCredential: null, keyLastUsedAt: null };
    if (keyHash === null) return { auth: { ok: false, reason: "invalid_api_key" }, ...none };
    const found = await this.store.grants.getForKey(keyHash, grantId);
    const auth = await this.#judge(found?.key ?? null);
    return auth.ok && found
      ? {
          auth,
          grant: found.grant,
          sealedCredential: found.sealedCredential,
          keyLastUsedAt: found.key.lastUsedAt,
        }
      : { auth, ...none };
  }

  async #judge(key: ApiKeyRecord | null): Promise<Authentication> {
    if (!key) return { ok: false, reason: "invalid_api_key" };
    const now = this.clock.now();
    const status = keyStatus(key, now);
    if (status !== "active") return { ok: false, reason: `api_key_${status}` };
    // Read in the same query as the key (issue 15): a disabled app's keys are all refused.
    if (key.appDisabled === true) return { ok: false, reason: "app_disabled" };
    // The row just read says whether a write is due: most calls need none.
    if (isTouchDue(key.lastUsedAt, now)) {
      await this.store.apiKeys.touch(key.id, now, LAST_USED_RESOLUTION_MS);
    }
    return {
      ok: true,
      appId: key.appId,
      keyId: key.id,
      keyPrefix: key.prefix,
      scopes: key.scopes,
      expiresAt: key.expiresAt,
    };
  }

  /** False when there is no such key or it was already revoked. */
  revoke(keyId: string, store: Store = this.store): Promise<boolean> {
    return store.apiKeys.revoke(keyId, this.clock.now());
  }
}

/** True when `presented` could be an issued key (no lookup): cheap enough to run before anything else. */
export function isWellFormedApiKey(presented: string): boolean {
  return API_KEY_SHAPE.test(presented);
}

/** The hash a presented key is looked up by, or null when it cannot be a key (no lookup then). */
export function keyHashOf(presented: string): string | null {
  return isWellFormedApiKey(presented) ? hashApiKey(presented) : null;
}

export function hashApiKey(plaintext: string): string {
  // One-shot (no Hash object): every call with a grant hashes the key it presents.
  return hash("sha256", plaintext, "hex");
}
