import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Vault } from "../../packages/sdk/src/index.js";
import { newId } from "../../packages/server/src/testing.js";
import { launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import type { OAuthAccountClaims } from "../harness/oauth-provider.js";

/**
 * F1 end to end: a grant belongs to the provider's permanent account subject (here the OpenID
 * provider's `iss` + `sub`), never to the label it shows. Two accounts of the real
 * node-oidc-provider share one email; connects go through the Connect page and the provider's
 * login in Chromium, as a user's would.
 */

/** The provider's accounts by `sub` (the login name); a test may change one before a reconnect. */
const accounts: Record<string, OAuthAccountClaims> = {
  victim: { email: "shared@corp.example" },
  attacker: { email: "shared@corp.example" },
  jane: { email: "jane@corp.example" },
  leaver: { email: "leaver@corp.example" },
  team: { email: "team@corp.example" },
  legacy: { email: "legacy@corp.example" },
  "legacy-squatter": { email: "legacy@corp.example" },
  unverified: { email: "ceo@corp.example", email_verified: false, preferred_username: "mallory" },
};

let world: ConnectWorld;
let browser: Browser;
let vault: Vault;

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld({ accounts }), launchBrowser()]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  // User tokens carry real time; the vault's clock must agree to accept them.
  world.vault.clock.current = Date.now();
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

/** Connects `login`'s `idp` account (bound to `userToken`'s user, if given); resolves with the grant id. */
async function connect(login: string, userToken?: string): Promise<string> {
  const session = await vault.createConnectSession({
    allowedProviders: ["idp"],
    ...(userToken ? { userToken } : {}),
  });
  const page = await newPage(browser);
  try {
    const flow = await completeConnectFlow(page, session.connectUrl, { provider: "idp", login });
    if (flow.result !== "success") throw new Error(`connect flow ended with ${flow.result}: ${flow.text}`);
  } finally {
    await page.context().close();
  }
  const done = await fetch(`${world.baseUrl}/v1/connect/sessions/${session.sessionId}?wait=10`, {
    headers: { authorization: `Bearer ${world.apiKey}` },
  });
  const body = (await done.json()) as { results: { grant_id: string }[] | null };
  const grantId = body.results?.[0]?.grant_id;
  if (!grantId) throw new Error(`session ${session.sessionId} has no result`);
  return grantId;
}

/** A user token of the app's identity provider for `sub`, signed with its published key. */
async function userTokenFor(sub: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return world.oauth.signJwt({
    iss: world.oauth.issuer,
    aud: world.identity.clientId,
    sub,
    iat: now,
    exp: now + 600,
  });
}

const storedGrant = async (id: string) => world.vault.store.grants.get(world.appId, id);
const sealedCredential = (id: string) => world.vault.store.credentials.get(id);

describe("F1: grants belong to the account's permanent subject", () => {
  it("F1: another account showing the same email gets its own grant; the original is untouched", async () => {
    const victimGrant = await connect("victim");
    const victimTokens = await sealedCredential(victimGrant);
    const before = await storedGrant(victimGrant);

    const attackerGrant = await connect("attacker");

    expect(attackerGrant).not.toBe(victimGrant);
    expect(await sealedCredential(victimGrant)).toBe(victimTokens);
    expect(await storedGrant(victimGrant)).toEqual(before);
    expect((await storedGrant(attackerGrant))?.accountIdentifier).toBe("shared@corp.example");
    expect((await vault.listGrants({ accountIdentifier: "shared@corp.example" })).grants).toHaveLength(2);
  });

  it("F1: the same account under a new email keeps its grant id, with fresh tokens and the new label", async () => {
    const first = await connect("jane");
    const firstTokens = await sealedCredential(first);
    (accounts.jane as OAuthAccountClaims).email = "jane.doe@corp.example";

    const again = await connect("jane");

    expect(again).toBe(first);
    expect((await vault.getGrant(first)).accountIdentifier).toBe("jane.doe@corp.example");
    expect(await sealedCredential(first)).not.toBe(firstTokens);
  });

  it("F1: a revoked grant stays revoked; connecting the account again makes a new grant", async () => {
    const revoked = await connect("leaver");
    await vault.revokeGrant(revoked, { reason: "user left" });

    const renewed = await connect("leaver");

    expect(renewed).not.toBe(revoked);
    expect(await vault.getGrant(revoked)).toMatchObject({ status: "revoked", statusReason: "user left" });
    expect(await sealedCredential(revoked)).toBeNull();
    expect((await vault.getGrant(renewed)).status).toBe("active");
  });

  it("F1: another user connecting the same account gets a grant of their own; the grant never moves", async () => {
    const [alice, bob] = await Promise.all([userTokenFor("user-alice"), userTokenFor("user-bob")]);
    const alicesGrant = await connect("team", alice);
    const alicesTokens = await sealedCredential(alicesGrant);

    const bobsGrant = await connect("team", bob);

    expect(bobsGrant).not.toBe(alicesGrant);
    expect((await storedGrant(alicesGrant))?.userSubject).toBe("user-alice");
    expect((await storedGrant(bobsGrant))?.userSubject).toBe("user-bob");
    expect(await sealedCredential(alicesGrant)).toBe(alicesTokens);
    // Neither does an app-level connect (no user) take a user's grant; the user's own reconnect does.
    const appGrant = await connect("team");
    expect(appGrant).not.toBe(alicesGrant);
    expect((await storedGrant(appGrant))?.userSubject).toBeNull();
    expect(await connect("team", alice)).toBe(alicesGrant);
    expect((await storedGrant(alicesGrant))?.userSubject).toBe("user-alice");
  });

  it("F1: an email the provider does not vouch for is not the label", async () => {
    const grant = await connect("unverified");

    const shown = await vault.getGrant(grant);
    expect(shown.accountIdentifier).toBe("mallory");
    expect((await vault.listGrants({ accountIdentifier: "ceo@corp.example" })).grants).toStrictEqual([]);
  });

  it("F1: a grant made before subjects were recorded gets its subject on its next reconnect, once", async () => {
    // As migration 0008 leaves a grant connected before it: a label, no subject.
    const legacyId = newId("grant");
    const at = world.vault.clock.now();
    await world.vault.store.grants.insert({
      id: legacyId,
      appId: world.appId,
      providerId: "idp",
      accountIdentifier: "legacy@corp.example",
      accountSubject: null,
      scopes: ["openid"],
      status: "reauth_required",
      expiresAt: null,
      lastUsedAt: null,
      createdAt: at,
      updatedAt: at,
      grantPolicy: null,
      statusReason: "invalid_grant",
      userSubject: null,
    });

    expect(await connect("legacy")).toBe(legacyId);
    const recorded = await storedGrant(legacyId);
    expect(recorded).toMatchObject({ status: "active", accountSubject: expect.any(String) });
    const legacyTokens = await sealedCredential(legacyId);

    // From now on only that subject finds it: another account with the same email does not.
    const squatter = await connect("legacy-squatter");
    expect(squatter).not.toBe(legacyId);
    expect(await storedGrant(legacyId)).toEqual(recorded);
    expect(await sealedCredential(legacyId)).toBe(legacyTokens);
  });
});
