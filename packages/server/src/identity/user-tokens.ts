import { createRemoteJWKSet, customFetch, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import type { Clock } from "../clock.js";
import type { ProviderDirectory } from "../control/provider-directory.js";
import { VaultError } from "../errors.js";
import type { OAuthClient } from "../oauth/oauth-client.js";
import type { AppIdentity } from "./identity-registry.js";

/** Signature algorithms a user token may use; `none` and HMAC (a shared secret) never. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/**
 * User tokens: ID tokens of an app's identity provider, checked against the provider's signing
 * keys (JWKS from OpenID discovery, cached; a token signed with a new key makes jose fetch the set
 * again, so key rotation is picked up), its issuer, the app's audience and the expiry.
 */
export class UserTokens {
  readonly #keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(
    private readonly deps: {
      identities: Pick<ProviderDirectory, "identityFor">;
      oauth: OAuthClient;
      clock: Clock;
      /**
       * After fetching an identity provider's keys, how long a token with an unknown key id waits
       * before they are fetched again (jose's cooldown; default 30 s): rotation is picked up, and a
       * stream of forged key ids cannot make the vault hammer the provider.
       */
      keySetCooldownMs?: number;
    },
  ) {}

  /** The app's identity provider; `identity_not_configured` when it has none. */
  async identityOf(appId: string): Promise<AppIdentity> {
    const identity = await this.deps.identities.identityFor(appId);
    if (!identity) throw new VaultError("identity_not_configured");
    return identity;
  }

  /**
   * The verified claims of `token` for `appId`, or null when it is not valid for the app.
   * `identity_unavailable` when the identity provider's discovery or keys cannot be fetched: a
   * token is not called invalid because its issuer is down.
   */
  async verify(appId: string, token: string): Promise<(JWTPayload & { sub: string }) | null> {
    const identity = await this.identityOf(appId);
    const server = await this.deps.oauth.authorizationServer(identity.provider).catch((error: unknown) => {
      throw new VaultError("identity_unavailable", { cause: error });
    });
    if (!server.jwks_uri) throw new VaultError("identity_not_configured");
    let keySet = this.#keySets.get(server.jwks_uri);
    if (!keySet) {
      keySet = createRemoteJWKSet(new URL(server.jwks_uri), {
        cooldownDuration: this.deps.keySetCooldownMs ?? 30_000,
        // A fetch that fails is told apart from a verdict on the token (see keySetUnreachable).
        [customFetch]: (url, init) =>
          fetch(url, init).catch((error: unknown) => {
            throw new KeySetUnreachable(error);
          }),
      });
      this.#keySets.set(server.jwks_uri, keySet);
    }
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer: server.issuer,
        audience: identity.audience,
        algorithms: ALGORITHMS,
        currentDate: new Date(this.deps.clock.now()),
        requiredClaims: ["sub", "exp"],
      });
      return typeof payload.sub === "string" && payload.sub !== ""
        ? (payload as JWTPayload & { sub: string })
        : null;
    } catch (error) {
      if (keySetUnreachable(error)) throw new VaultError("identity_unavailable", { cause: error });
      return null;
    }
  }

  /** The subject of a valid token; `invalid_user_token` otherwise. */
  async subjectOf(appId: string, token: string): Promise<string> {
    const claims = await this.verify(appId, token);
    if (!claims) throw new VaultError("invalid_user_token");
    return claims.sub;
  }
}

/** The identity provider's key set could not be fetched (network error). */
class KeySetUnreachable extends Error {
  constructor(cause: unknown) {
    super("the identity provider's key set could not be fetched", { cause });
  }
}

/**
 * Whether jose failed to fetch the key set (network error, timeout, a non-200 or non-JSON answer)
 * rather than judging the token. Every verdict on a token is a JOSEError with a specific code; the
 * only generic ones come from fetching the key set.
 */
function keySetUnreachable(error: unknown): boolean {
  if (error instanceof KeySetUnreachable) return true;
  if (!(error instanceof joseErrors.JOSEError)) return false;
  return error.code === "ERR_JWKS_TIMEOUT" || error.code === "ERR_JOSE_GENERIC";
}
