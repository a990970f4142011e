import { VaultError } from "../errors.js";
import type { UserTokens } from "../identity/user-tokens.js";
import type { GrantRecord } from "../storage/grants-repository.js";
import type { Store } from "../storage/store.js";

/**
 * JWT identity: the grant a signed-in user holds for a provider. The user comes from a verified
 * user token, never from the caller's say-so; revoked grants do not count. Several accounts of the
 * provider need `account` to pick one.
 */
export class UserGrantResolver {
  constructor(private readonly deps: { store: Store; userTokens: UserTokens }) {}

  async resolve(
    appId: string,
    request: { userToken: string; providerId: string; account?: string | undefined },
  ): Promise<GrantRecord> {
    const subject = await this.deps.userTokens.subjectOf(appId, request.userToken);
    const grants = (
      await this.deps.store.grants.findForUser(appId, subject, request.providerId, request.account)
    ).filter((grant) => grant.status !== "revoked");
    const [only, ...others] = grants;
    if (!only) throw new VaultError("grant_not_found");
    if (others.length > 0) {
      throw new VaultError("ambiguous_grant", {
        issues: grants.map((grant) => ({ path: "account", message: grant.accountIdentifier })),
      });
    }
    return only;
  }
}
