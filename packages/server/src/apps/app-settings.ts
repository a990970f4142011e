import { AuditLog } from "../audit/audit-log.js";
import type { KeyringSource } from "../audit/chain-writer.js";
import type { Clock } from "../clock.js";
import { VaultError } from "../errors.js";
import type { Store } from "../storage/store.js";
import { type AdminActor, actorLabel, actorPrefix, OPERATOR } from "./admin-actor.js";

/**
 * The operator's per-app settings that change what the app's API keys may do. Each change is an
 * `app.setting_changed` audit event in the app's chain, so relaxing a guarantee always leaves a
 * trace where the app's grant uses are recorded.
 */
export class AppSettings {
  constructor(private readonly deps: { store: Store; audit: AuditLog }) {}

  /** For the operator's commands, outside the HTTP app: its own audit writer. */
  static forStore(store: Store, clock: Clock, keyring: KeyringSource): AppSettings {
    return new AppSettings({ store, audit: new AuditLog(store, clock, keyring) });
  }

  /**
   * F6: whether the app's user-bound grants are usable only with their user's token. True when
   * the setting changed (and the change is recorded), false when it already was so.
   */
  async setUserGrantsNeedUserToken(
    appId: string,
    required: boolean,
    actor: AdminActor = OPERATOR,
  ): Promise<boolean> {
    const { store, audit } = this.deps;
    if (!(await store.apps.setUserGrantsNeedUserToken(appId, required))) return false;
    try {
      await audit.append({
        appId,
        type: "app.setting_changed",
        apiKeyPrefix: actorPrefix(actor),
        details: { setting: "user_grants_need_user_token", value: required, by: actorLabel(actor) },
      });
    } catch (error) {
      // Fail closed: a change that is not on record is undone.
      await store.apps.setUserGrantsNeedUserToken(appId, !required);
      throw new VaultError("audit_unavailable", { cause: error });
    }
    return true;
  }
}
