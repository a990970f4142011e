import { VaultError } from "../errors.js";
import type { UserTokens } from "../identity/user-tokens.js";
import type { AppsRepository } from "../storage/apps-repository.js";
import type { GrantRecord } from "../storage/grants-repository.js";

/**
 * Whose grant a call may use (F6). A grant connected with a user token belongs to that user: a
 * call that uses it must carry that user's token, verified, with the same subject. The API key
 * alone is not enough, because an app server that forwards a grant id its client chose would
 * otherwise let one user act as another. The operator may relax this per app (an audited
 * setting: `apps allow-grant-use-without-user`); a user token that is presented is checked
 * always.
 */
export class UserBinding {
  constructor(
    private readonly deps: {
      userTokens: Pick<UserTokens, "subjectOf">;
      apps: Pick<AppsRepository, "userGrantsNeedUserToken">;
    },
  ) {}

  /**
   * True when nothing but the grant as read decides the call: no user token to verify, no user
   * the grant is bound to. Anything else needs {@link UserBinding.check}.
   */
  static isOpen(grant: Pick<GrantRecord, "userSubject">, userToken: string | undefined): boolean {
    return userToken === undefined && grant.userSubject === null;
  }

  /** Resolves when the call may use the grant; rejects with the refusal otherwise. */
  async check(
    appId: string,
    grant: Pick<GrantRecord, "userSubject">,
    userToken: string | undefined,
  ): Promise<void> {
    if (userToken !== undefined) {
      const subject = await this.deps.userTokens.subjectOf(appId, userToken);
      // Another user's grant, or the app's own, is as absent to this user as one that does not exist.
      if (grant.userSubject !== subject) throw new VaultError("grant_not_found");
      return;
    }
    if (grant.userSubject === null) return;
    if (await this.deps.apps.userGrantsNeedUserToken(appId)) throw new VaultError("user_token_required");
  }
}
