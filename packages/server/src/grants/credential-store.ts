import type { Clock } from "../clock.js";
import type { Keyring } from "../crypto/keyring.js";
import type { KeyringHolder } from "../crypto/keyring-holder.js";
import { LruMap } from "../lru-map.js";
import type { TokenSet } from "../oauth/token-set.js";
import { bindingOf, SEALED_FIELDS } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";

const FIELD = SEALED_FIELDS[0];
/** Token sets kept opened, at most (least recently used leave first). */
const OPENED_CACHE_SIZE = 1000;
/** How long an opened token set is kept. */
const OPENED_TTL_MS = 60_000;

/** Seals token sets before they reach storage and opens them on the way out. */
export class CredentialStore {
  /**
   * Recently opened token sets, by grant, with the sealed value each was opened from. Opening one
   * (AES-GCM, then JSON) costs more than the rest of a credential call's own work, and a grant in
   * use is read again and again. An entry answers only for the very sealed value it was opened
   * from, which is replaced on every refresh and re-encryption, so it can never answer for
   * changed tokens; a tampered or moved value differs and is opened (and refused) like any other.
   * The cache lives in the vault's memory, next to the key ring that opens them.
   */
  readonly #opened = new LruMap<string, { sealed: string; tokens: TokenSet; until: number }>(
    OPENED_CACHE_SIZE,
  );
  #openedWith: Keyring | null = null;

  constructor(
    private readonly store: Store,
    private readonly keys: KeyringHolder,
    private readonly clock: Clock,
  ) {}

  /** Seals and stores the tokens; pass `store` to write inside a transaction. */
  async save(grantId: string, tokens: TokenSet, store: Store = this.store): Promise<void> {
    const keyring = await this.keys.current();
    const sealed = keyring.seal(JSON.stringify(tokens), bindingOf(FIELD, grantId));
    await store.credentials.put(grantId, sealed, this.clock.now());
  }

  /**
   * Compare-and-set (F3, F7): stores refreshed tokens only if the sealed value is still `expected`
   * (what the refresh started from) and the grant is still active. False when a revocation or
   * another writer came first; nothing is stored then.
   */
  async replaceIf(grantId: string, expected: string, tokens: TokenSet): Promise<boolean> {
    const keyring = await this.keys.current();
    const sealed = keyring.seal(JSON.stringify(tokens), bindingOf(FIELD, grantId));
    return this.store.credentials.replaceIf(grantId, expected, sealed, this.clock.now());
  }

  /** The stored tokens with the sealed value they were opened from (for a later compare-and-set). */
  async loadSealed(grantId: string): Promise<{ sealed: string; tokens: TokenSet } | null> {
    const sealed = await this.store.credentials.get(grantId);
    return sealed === null ? null : { sealed, tokens: await this.open(grantId, sealed) };
  }

  /** Opens the stored tokens; pass `store` to read inside a transaction. */
  async load(grantId: string, store: Store = this.store): Promise<TokenSet | null> {
    const sealed = await store.credentials.get(grantId);
    return sealed === null ? null : this.open(grantId, sealed);
  }

  /** Opens tokens already read (sealed) with their grant. The result is frozen: it may be shared. */
  async open(grantId: string, sealed: string): Promise<TokenSet> {
    const keyring = await this.keys.current();
    if (keyring !== this.#openedWith) {
      this.#opened.clear();
      this.#openedWith = keyring;
    }
    const now = this.clock.now();
    const cached = this.#opened.get(grantId);
    if (cached && cached.sealed === sealed && cached.until > now) return cached.tokens;
    const tokens = Object.freeze(JSON.parse(keyring.open(sealed, bindingOf(FIELD, grantId))) as TokenSet);
    this.#opened.set(grantId, { sealed, tokens, until: now + OPENED_TTL_MS });
    return tokens;
  }
}
