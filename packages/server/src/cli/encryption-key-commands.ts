import { countAuditMacsByKey, remacAll } from "../audit/chain-remac.js";
import { beginFileRotation, finishFileRotation } from "../crypto/key-file-rotation.js";
import { formatMasterKeys, generateMasterKey, readKeyFile, writeKeyFile } from "../crypto/master-keys.js";
import { countSealedByKey, reencryptAll } from "../crypto/reencrypt.js";
import type { CommandContext } from "./app-commands.js";
import { emit, type Output, UsageError } from "./output.js";

/**
 * `keys rotate`: makes a new primary key and re-encrypts every stored secret under it.
 * With the key file, the new key is added to the file first. With GRANTVAULT_MASTER_KEY, the
 * operator puts the new key first in the variable of every server process (`keys generate`),
 * then runs this to move the stored secrets. Interrupted? Run it again: it finishes the job under
 * the key the interrupted run added (see key-file-rotation.ts), without adding another.
 */
export async function keysRotate({ runtime, output, json }: CommandContext): Promise<number> {
  let keyring = runtime.keyring;
  let added: string | null = null;
  let resumed: string | null = null;
  if (runtime.keySource.kind === "file") {
    const rotation = await beginFileRotation(runtime.keySource.path);
    keyring = rotation.keyring;
    if (rotation.added) added = rotation.primaryId;
    else resumed = rotation.primaryId;
  }
  if (!json) output.err(`Re-encrypting stored secrets under key ${keyring.primaryId}…\n`);
  const report = await reencryptAll(runtime.store, keyring);
  // The audit MACs follow (F8): a key still MACing audit rows cannot be dropped.
  const audit = await remacAll(runtime.store, keyring);
  if (runtime.keySource.kind === "file") await finishFileRotation(runtime.keySource.path);
  const counts = await countSealedByKey(runtime.store);
  const auditCounts = await countAuditMacsByKey(runtime.store);
  const droppable = keyring.keyIds.filter(
    (id) => id !== keyring.primaryId && !counts[id] && !auditCounts[id],
  );
  const human = [
    added
      ? `Added key ${added} to ${runtime.keySource.kind === "file" ? runtime.keySource.path : ""} as primary.`
      : "",
    resumed ? `Finished the interrupted rotation to key ${resumed} (no new key added).` : "",
    `Re-encrypted ${report.reencrypted} secret(s); primary key is ${report.primaryKeyId}.`,
    ...report.unreadable.map((row) => `  could not read ${row.table} ${row.id}: ${row.reason}`),
    `Re-MACed ${audit.remaced} audit event(s) and checkpoint(s).`,
    ...audit.unverifiable.map(
      (row) => `  audit ${row.what} ${row.appId}/${row.seq} left under its old key: ${row.reason}`,
    ),
    droppable.length > 0 ? `No secret uses ${droppable.join(", ")} any more: it can be dropped.` : "",
    !added && !resumed && report.reencrypted === 0 && report.unreadable.length === 0 && audit.remaced === 0
      ? "Nothing to move. To rotate with GRANTVAULT_MASTER_KEY: run `grantvault-server keys generate`, put the new entry first in GRANTVAULT_MASTER_KEY of every server process, then run `keys rotate` again."
      : "",
  ].filter(Boolean);
  emit(
    output,
    json,
    {
      primary_key_id: report.primaryKeyId,
      added_key_id: added,
      resumed_key_id: resumed,
      reencrypted: report.reencrypted,
      unreadable: report.unreadable,
      audit_remaced: audit.remaced,
      audit_unverifiable: audit.unverifiable,
      secrets_by_key: counts,
      audit_macs_by_key: auditCounts,
      droppable_key_ids: droppable,
    },
    human.join("\n"),
  );
  return report.unreadable.length > 0 || audit.unverifiable.length > 0 ? 1 : 0;
}

/** `keys status`: the key ring and how many stored secrets each key still protects. */
export async function keysStatus({ runtime, output, json }: CommandContext): Promise<void> {
  const counts = await countSealedByKey(runtime.store);
  const source =
    runtime.keySource.kind === "file" ? `key file ${runtime.keySource.path}` : "GRANTVAULT_MASTER_KEY";
  emit(
    output,
    json,
    {
      source: runtime.keySource.kind,
      primary_key_id: runtime.keyring.primaryId,
      key_ids: runtime.keyring.keyIds,
      secrets_by_key: counts,
    },
    [
      `Keys from ${source}:`,
      ...runtime.keyring.keyIds.map(
        (id) =>
          `  ${id}${id === runtime.keyring.primaryId ? " (primary)" : ""}: ${counts[id] ?? 0} secret(s)`,
      ),
      ...Object.keys(counts)
        .filter((id) => !runtime.keyring.has(id))
        .map((id) => `  ${id} (NOT IN THE KEY RING): ${counts[id]} secret(s) cannot be read`),
    ].join("\n"),
  );
}

/** `keys drop KEY_ID`: removes an old key from the key file, once no secret uses it. */
export async function keysDrop({ runtime, output, json, positionals }: CommandContext): Promise<void> {
  const [keyId] = positionals;
  if (!keyId) throw new UsageError("keys drop needs the KEY_ID (see `grantvault-server keys status`)");
  if (runtime.keySource.kind !== "file") {
    throw new UsageError("keys come from GRANTVAULT_MASTER_KEY: remove the entry from that variable instead");
  }
  if (keyId === runtime.keyring.primaryId) throw new UsageError(`${keyId} is the primary key; rotate first`);
  if (!runtime.keyring.has(keyId)) throw new UsageError(`there is no key ${keyId} in the key file`);
  const inUse = (await countSealedByKey(runtime.store))[keyId] ?? 0;
  if (inUse > 0) {
    throw new UsageError(
      `${inUse} secret(s) still use ${keyId}; run \`grantvault-server keys rotate\` first`,
    );
  }
  // Dropping the key of audit MACs would leave those events unverifiable (F8).
  const auditInUse = (await countAuditMacsByKey(runtime.store))[keyId] ?? 0;
  if (auditInUse > 0) {
    throw new UsageError(
      `${auditInUse} audit event(s) or checkpoint(s) are still MACed with ${keyId}; run \`grantvault-server keys rotate\` first`,
    );
  }
  const remaining = ((await readKeyFile(runtime.keySource.path)) ?? []).filter((key) => key.id !== keyId);
  await writeKeyFile(runtime.keySource.path, remaining);
  emit(output, json, { dropped_key_id: keyId }, `Dropped ${keyId} from ${runtime.keySource.path}.`);
}

/** `keys generate`: a new key entry for GRANTVAULT_MASTER_KEY (needs no database). */
export function keysGenerate(output: Output, json: boolean): void {
  const key = generateMasterKey();
  const entry = formatMasterKeys([key]).trim();
  emit(output, json, { key_id: key.id, entry }, entry);
}
