import type { Keyring } from "../crypto/keyring.js";
import type { Store } from "../storage/store.js";
import { hashOf } from "./chain-link.js";
import { auditSigner, checkpointMessage, macsEqual, rowMessage, signerOf } from "./chain-mac.js";

export interface RemacReport {
  /** Audit rows and checkpoints moved to the primary key's audit key by this run. */
  remaced: number;
  /** Rows or checkpoints whose MAC did not verify (or whose key is gone): left as they are. */
  unverifiable: { appId: string; seq: number; what: "event" | "checkpoint"; reason: string }[];
}

const PAGE_SIZE = 500;

/**
 * Moves the audit MACs to the primary key before an old master key is dropped (F8). Only the MAC
 * and its key id change, never a row's fields or hash, so exported checkpoints stay valid; and only
 * a MAC that verifies under its old key is replaced, so a rotation never launders a tampered row.
 * Each replacement is a compare-and-set on the old MAC: the job can be interrupted and re-run.
 */
export async function remacAll(store: Store, keyring: Keyring): Promise<RemacReport> {
  const report: RemacReport = { remaced: 0, unverifiable: [] };
  const primary = auditSigner(keyring);
  let after = { appId: "", seq: 0 };
  for (;;) {
    const page = await store.audit.macsNotUnder(primary.keyId, after, PAGE_SIZE);
    for (const row of page) {
      const { hash, mac, mac_key_id, ...fields } = row;
      const seq = Number(row.seq);
      const old = signerOf(keyring, mac_key_id as string);
      const reason = !old
        ? `key ${mac_key_id} is not in the key ring`
        : hashOf(fields) !== hash ||
            !macsEqual(old.mac(rowMessage(old.keyId, row.app_id, seq, hash)), mac as string)
          ? "its MAC does not match (run `audit verify`)"
          : null;
      if (reason) {
        report.unverifiable.push({ appId: row.app_id, seq, what: "event", reason });
      } else if (
        await store.audit.replaceMac(
          { appId: row.app_id, seq, expectedMac: mac as string },
          primary.keyId,
          primary.mac(rowMessage(primary.keyId, row.app_id, seq, hash)),
        )
      ) {
        report.remaced++;
      }
    }
    const last = page.at(-1);
    if (!last || page.length < PAGE_SIZE) break;
    after = { appId: last.app_id, seq: Number(last.seq) };
  }
  for (const checkpoint of await store.auditCheckpoints.list()) {
    if (checkpoint.mac_key_id === primary.keyId) continue;
    const old = signerOf(keyring, checkpoint.mac_key_id);
    const { app_id: appId, seq } = checkpoint;
    if (!old || !macsEqual(old.mac(checkpointMessage(old.keyId, checkpoint)), checkpoint.mac)) {
      const reason = old ? "its MAC does not match" : `key ${checkpoint.mac_key_id} is not in the key ring`;
      report.unverifiable.push({ appId, seq, what: "checkpoint", reason });
      continue;
    }
    const mac = primary.mac(checkpointMessage(primary.keyId, checkpoint));
    if (
      await store.auditCheckpoints.replaceMac({ appId, seq, expectedMac: checkpoint.mac }, primary.keyId, mac)
    ) {
      report.remaced++;
    }
  }
  return report;
}

/** How many audit rows and checkpoints each master key id MACs (a key in use cannot be dropped). */
export async function countAuditMacsByKey(store: Store): Promise<Record<string, number>> {
  const counts = await store.audit.countByMacKey();
  for (const [keyId, count] of Object.entries(await store.auditCheckpoints.countByMacKey())) {
    counts[keyId] = (counts[keyId] ?? 0) + count;
  }
  return counts;
}
