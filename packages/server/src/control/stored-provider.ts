import type { Keyring } from "../crypto/keyring.js";
import { ProviderConfig } from "../providers/provider-config.js";
import type { ProviderRow } from "../storage/providers-repository.js";
import { bindingOf, PROVIDER_SECRET_FIELD } from "../storage/sealed-fields.js";

/**
 * A stored provider as a whole document again: its client secret opened with the key ring (bound
 * to the row, so a secret copied from another row does not open) and the document validated, as
 * a later version may have tightened the schema. Throws when either fails.
 */
export function openStoredProvider(row: ProviderRow, keyring: Keyring): ProviderConfig {
  const clientSecret = openProviderSecret(row, keyring);
  return ProviderConfig.parse({ ...row.config, clientSecret });
}

export function openProviderSecret(row: Pick<ProviderRow, "id" | "sealedSecret">, keyring: Keyring): string {
  return keyring.open(row.sealedSecret, bindingOf(PROVIDER_SECRET_FIELD, row.id));
}
