import type { Clock } from "../clock.js";
import type { KeyringHolder } from "../crypto/keyring-holder.js";
import { bindingOf, SEALED_FIELDS } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";

/** The token set of a grant as the vault keeps it. Lives in memory only while in use. */
export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  tokenType?: string;
  /** Epoch ms when the access token expires, when the provider said. */
  expiresAt?: number;
}

const FIELD = SEALED_FIELDS[0];

/** Seals token sets before they reach storage and opens them on the way out. */
export class CredentialStore {
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

  /** Opens the stored tokens; pass `store` to read inside a transaction. */
  async load(grantId: string, store: Store = this.store): Promise<TokenSet | null> {
    const sealed = await store.credentials.get(grantId);
    return sealed === null ? null : this.open(grantId, sealed);
  }

  /** Opens tokens already read (sealed) with their grant. */
  async open(grantId: string, sealed: string): Promise<TokenSet> {
    const keyring = await this.keys.current();
    return JSON.parse(keyring.open(sealed, bindingOf(FIELD, grantId))) as TokenSet;
  }
}
