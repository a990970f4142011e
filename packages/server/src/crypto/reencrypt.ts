import { bindingOf, SEALED_FIELDS } from "../storage/sealed-fields.js";
import type { Store } from "../storage/store.js";
import { type Keyring, sealedKeyId, sealedPrefix } from "./keyring.js";

export interface ReencryptReport {
  primaryKeyId: string;
  /** Values moved to the primary key by this run. */
  reencrypted: number;
  /** Values that could not be opened (unknown key, or tampered): left as they are, listed by row. */
  unreadable: { table: string; id: string; reason: string }[];
}

const PAGE_SIZE = 200;
/** Extra passes for rows a concurrent writer changed under us. */
const MAX_PASSES = 3;

/**
 * Re-seals every stored secret that is not under the primary key. Each row is its own
 * compare-and-set, so the job can be interrupted at any point and re-run to finish: rows already
 * moved are skipped, and a value a server rewrote meanwhile is never overwritten with an older one.
 */
export async function reencryptAll(store: Store, keyring: Keyring): Promise<ReencryptReport> {
  const report: ReencryptReport = { primaryKeyId: keyring.primaryId, reencrypted: 0, unreadable: [] };
  const prefix = sealedPrefix(keyring.primaryId);
  for (const field of SEALED_FIELDS) {
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      let conflicts = 0;
      let afterId = "";
      for (;;) {
        const page = await store.sealedValues.listNotStartingWith(field, prefix, afterId, PAGE_SIZE);
        for (const row of page) {
          const binding = bindingOf(field, row.id);
          let plaintext: string;
          try {
            plaintext = keyring.open(row.sealed, binding);
          } catch (error) {
            if (pass === 0)
              report.unreadable.push({ table: field.table, id: row.id, reason: (error as Error).message });
            continue;
          }
          if (await store.sealedValues.replace(field, row.id, row.sealed, keyring.seal(plaintext, binding))) {
            report.reencrypted++;
          } else {
            conflicts++;
          }
        }
        const last = page.at(-1);
        if (!last || page.length < PAGE_SIZE) break;
        afterId = last.id;
      }
      if (conflicts === 0) break;
    }
  }
  return report;
}

/** How many stored secrets each key id seals (`unknown` for values that are not sealed at all). */
export async function countSealedByKey(store: Store): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const field of SEALED_FIELDS) {
    let afterId = "";
    for (;;) {
      const page = await store.sealedValues.listPage(field, afterId, 1000);
      for (const row of page) {
        const keyId = sealedKeyId(row.sealed) ?? "unknown";
        counts[keyId] = (counts[keyId] ?? 0) + 1;
      }
      const last = page.at(-1);
      if (!last || page.length < 1000) break;
      afterId = last.id;
    }
  }
  return counts;
}
