import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AmbiguousGrantError,
  GrantNotFoundError,
  InvalidUserTokenError,
  PolicyViolationError,
  Vault,
} from "../../packages/sdk/src/index.js";
import { AppSettings } from "../../packages/server/src/testing.js";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

/**
 * Identity end to end: `authenticate()` signs in at the app's identity provider (the harness's
 * node-oidc-provider) through the real sign-in page in Chromium; user tokens are verified against
 * the provider's JWKS; grants connected with a user token belong to that user.
 */
/** Short here, so a test can see a rotated key picked up; 30 s by default. */
const KEY_SET_COOLDOWN_MS = 300;

let world: ConnectWorld;
let browser: Browser;
let vault: Vault;

beforeAll(async () => {
  [world, browser] = await Promise.all([
    startConnectWorld({ keySetCooldownMs: KEY_SET_COOLDOWN_MS }),
    launchBrowser(),
  ]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  // The identity provider stamps real time into its tokens; the vault's clock must agree.
  world.vault.clock.current = Date.now();
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

/** Signs `login` in through the sign-in page, as `authenticate()`'s user would. */
async function signIn(login: string) {
  return vault.authenticate({
    print: () => {},
    openUrl: async (url) => {
      const page = await newPage(browser);
      try {
        const flow = await completeConnectFlow(page, url, { provider: "identity", login });
        if (flow.result !== "success") throw new Error(`sign-in ended with ${flow.result}: ${flow.text}`);
      } finally {
        await page.context().close();
      }
    },
    timeout: 30_000,
  });
}

/** Connects `login`'s octo account with a session bound to `userToken`; resolves with the grant id. */
async function connectAs(userToken: string, login: string): Promise<string> {
  const session = await vault.createConnectSession({ allowedProviders: ["octo"], userToken });
  const page = await newPage(browser);
  try {
    const flow = await completeConnectFlow(page, session.connectUrl, { provider: "octo", login });
    expect(flow.result).toBe("success");
  } finally {
    await page.context().close();
  }
  const { grants } = await vault.listGrants({ providerId: "octo", accountIdentifier: login });
  const grant = grants[0];
  if (!grant) throw new Error(`no grant for ${login}`);
  return grant.grantId;
}

/** A token exactly like the identity provider's ID tokens, signed with its key, minus what a test changes. */
async function tokenFor(sub: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return world.oauth.signJwt({
    iss: world.oauth.issuer,
    aud: world.identity.clientId,
    sub,
    iat: now,
    exp: now + 600,
    ...overrides,
  });
}

describe("authenticate() and user tokens", () => {
  let aliceToken: string;

  it("signs the user in headlessly and returns their ID token and claims", async () => {
    const result = await signIn("alice");
    aliceToken = result.userToken;
    expect(aliceToken.split(".")).toHaveLength(3);
    expect(result.userInfo).toMatchObject({ sub: "alice", email: "alice@example.test" });
    expect(await vault.verifyUserToken(aliceToken)).toBe("alice");
  });

  it("accepts a token signed with the provider's key (the control for the refusals below)", async () => {
    expect(await vault.verifyUserToken(await tokenFor("carol"))).toBe("carol");
  });

  it("refuses a wrong issuer, a wrong audience, an expired token, a foreign key and alg none", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const foreignKid = (await exportJWK(privateKey)).n?.slice(0, 8);
    const foreign = await new SignJWT({
      iss: world.oauth.issuer,
      aud: world.identity.clientId,
      sub: "mallory",
      exp: now + 600,
    })
      .setProtectedHeader({ alg: "RS256", ...(foreignKid ? { kid: foreignKid } : {}) })
      .sign(privateKey);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(
      JSON.stringify({
        iss: world.oauth.issuer,
        aud: world.identity.clientId,
        sub: "mallory",
        exp: now + 600,
      }),
    ).toString("base64url")}.`;
    const refused = [
      await tokenFor("mallory", { iss: "http://127.0.0.1:1/elsewhere" }),
      await tokenFor("mallory", { aud: "gv-octo" }),
      await tokenFor("mallory", { iat: now - 7200, exp: now - 3600 }),
      foreign,
      unsigned,
    ];
    for (const token of refused) expect(await vault.verifyUserToken(token)).toBeNull();
  });

  it("picks up a rotated signing key: the key set is fetched again for an unknown key id", async () => {
    expect(await vault.verifyUserToken(await tokenFor("erin"))).toBe("erin"); // key set now cached
    await world.oauth.rotateSigningKey();
    await new Promise((resolve) => setTimeout(resolve, KEY_SET_COOLDOWN_MS + 100));
    expect(await vault.verifyUserToken(await tokenFor("erin"))).toBe("erin"); // signed with the new key
  });

  it("refuses a session for a user whose token does not verify", async () => {
    await expect(
      vault.createConnectSession({
        allowedProviders: ["octo"],
        userToken: await tokenFor("x", { aud: "other" }),
      }),
    ).rejects.toBeInstanceOf(InvalidUserTokenError);
  });

  describe("user-bound grants", () => {
    let aliceGrant: string;

    beforeAll(async () => {
      aliceToken ??= (await signIn("alice")).userToken;
      aliceGrant = await connectAs(aliceToken, "alice-octo");
    });

    it("binds the grant to the user and resolves it from their token and the provider", async () => {
      const response = await vault.request("GET", `${world.api.baseUrl}/user`, {
        provider: "octo",
        userToken: aliceToken,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ login: "alice-octo" });
      const proxied = await vault.proxyRequest("GET", `${world.api.baseUrl}/user`, {
        provider: "octo",
        userToken: aliceToken,
      });
      expect(await proxied.json()).toMatchObject({ login: "alice-octo" });
    });

    it("takes the user from a userTokenGetter when the call names only the provider", async () => {
      const perRequest = new Vault({
        apiKey: world.apiKey,
        baseUrl: world.baseUrl,
        userTokenGetter: async () => aliceToken,
      });
      const response = await perRequest.request("GET", `${world.api.baseUrl}/user`, { provider: "octo" });
      expect(await response.json()).toMatchObject({ login: "alice-octo" });
    });

    it("refuses another user's grant, by provider and by grant id", async () => {
      const bobToken = await tokenFor("bob");
      await expect(
        vault.request("GET", `${world.api.baseUrl}/user`, { provider: "octo", userToken: bobToken }),
      ).rejects.toBeInstanceOf(GrantNotFoundError);
      await expect(
        vault.request("GET", `${world.api.baseUrl}/user`, { grantId: aliceGrant, userToken: bobToken }),
      ).rejects.toBeInstanceOf(GrantNotFoundError);
      await expect(
        vault.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId: aliceGrant, userToken: bobToken }),
      ).rejects.toBeInstanceOf(GrantNotFoundError);
    });

    describe("F6: a user-bound grant is usable only with its user's token", () => {
      const userUrl = () => `${world.api.baseUrl}/user`;
      const settings = () => AppSettings.forStore(world.vault.store, world.vault.clock, world.vault.keys);

      it("F6: refuses the grant by id with the API key alone, 403 user_token_required in both modes, audited", async () => {
        for (const call of [
          () => vault.request("GET", userUrl(), { grantId: aliceGrant }),
          () => vault.proxyRequest("GET", userUrl(), { grantId: aliceGrant }),
        ]) {
          const refused = await call().catch((caught: unknown) => caught);
          expect(refused).toBeInstanceOf(PolicyViolationError);
          expect(refused).toMatchObject({ code: "user_token_required" });
        }
        const raw = await fetch(`${world.baseUrl}/v1/grants/${aliceGrant}/credential`, {
          method: "POST",
          headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ method: "GET", url: userUrl() }),
        });
        expect(raw.status).toBe(403);
        expect(await raw.json()).toMatchObject({ error: { code: "user_token_required" } });
        const { events } = await vault.listAuditEvents({ type: "credential.refused", grantId: aliceGrant });
        expect(events.filter((event) => event.details?.code === "user_token_required")).toHaveLength(3);
      });

      it("F6: works with its user's token by grant id, and refuses another user's", async () => {
        for (const call of [vault.request.bind(vault), vault.proxyRequest.bind(vault)]) {
          const answer = await call("GET", userUrl(), { grantId: aliceGrant, userToken: aliceToken });
          expect(await answer.json()).toMatchObject({ login: "alice-octo" });
          await expect(
            call("GET", userUrl(), { grantId: aliceGrant, userToken: await tokenFor("bob") }),
          ).rejects.toBeInstanceOf(GrantNotFoundError);
        }
      });

      it("F6: the SDK sends the userTokenGetter's token with a grantId", async () => {
        const asAlice = new Vault({
          apiKey: world.apiKey,
          baseUrl: world.baseUrl,
          userTokenGetter: () => aliceToken,
        });
        const bobToken = await tokenFor("bob");
        const asBob = new Vault({
          apiKey: world.apiKey,
          baseUrl: world.baseUrl,
          userTokenGetter: () => bobToken,
        });
        for (const mode of ["request", "proxyRequest"] as const) {
          const answer = await asAlice[mode]("GET", userUrl(), { grantId: aliceGrant });
          expect(await answer.json()).toMatchObject({ login: "alice-octo" });
          // bob's token went along: the vault judged alice's grant as not his.
          await expect(asBob[mode]("GET", userUrl(), { grantId: aliceGrant })).rejects.toBeInstanceOf(
            GrantNotFoundError,
          );
        }
        // A token passed with the call wins over the getter's.
        const explicit = await asBob.request("GET", userUrl(), {
          grantId: aliceGrant,
          userToken: aliceToken,
        });
        expect(explicit.status).toBe(200);
      });

      it("F6: the operator's audited app setting relaxes it, and can take that back", async () => {
        expect(await settings().setUserGrantsNeedUserToken(world.appId, false)).toBe(true);
        try {
          expect(await settings().setUserGrantsNeedUserToken(world.appId, false)).toBe(false);
          for (const mode of ["request", "proxyRequest"] as const) {
            const answer = await vault[mode]("GET", userUrl(), { grantId: aliceGrant });
            expect(await answer.json()).toMatchObject({ login: "alice-octo" });
          }
          // A token that is presented is still checked.
          await expect(
            vault.request("GET", userUrl(), { grantId: aliceGrant, userToken: await tokenFor("bob") }),
          ).rejects.toBeInstanceOf(GrantNotFoundError);
        } finally {
          expect(await settings().setUserGrantsNeedUserToken(world.appId, true)).toBe(true);
        }
        await expect(vault.request("GET", userUrl(), { grantId: aliceGrant })).rejects.toMatchObject({
          code: "user_token_required",
        });
        const { events } = await vault.listAuditEvents({ type: "app.setting_changed" });
        // Newest first; the repeated "relax" changed nothing and left no row.
        expect(events.map((event) => event.details)).toStrictEqual([
          { setting: "user_grants_need_user_token", value: true, by: "operator" },
          { setting: "user_grants_need_user_token", value: false, by: "operator" },
        ]);
      });
    });

    it("asks which account when the user connected several, and takes the one named", async () => {
      await connectAs(aliceToken, "alice-work");
      const ambiguous = vault.request("GET", `${world.api.baseUrl}/user`, {
        provider: "octo",
        userToken: aliceToken,
      });
      await expect(ambiguous).rejects.toBeInstanceOf(AmbiguousGrantError);
      const error = (await ambiguous.catch((caught: unknown) => caught)) as AmbiguousGrantError;
      expect(error.candidates.sort()).toStrictEqual(["alice-octo", "alice-work"]);
      const picked = await vault.request("GET", `${world.api.baseUrl}/user`, {
        provider: "octo",
        userToken: aliceToken,
        account: "alice-work",
      });
      expect(await picked.json()).toMatchObject({ login: "alice-work" });
    });
  });
});
