import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNotAllowedError, Vault } from "../../packages/sdk/src/index.js";
import {
  AuditLog,
  ConfigEvents,
  newId,
  OPERATOR,
  ProviderAdmin,
  type ProviderConfig,
} from "../../packages/server/src/testing.js";
import { launchBrowser, newPage } from "../harness/browser.js";
import { CONNECT_PAGE_SELECTORS, loginAndConsent } from "../harness/connect-flow.js";
import { freePort } from "../harness/free-port.js";
import { startTenantOAuthProvider, type TenantOAuthProvider } from "../harness/oauth-provider.js";
import { startTestVault, type TestVault } from "../harness/vault-app.js";

/**
 * Issue 15 item 2, end to end: a provider whose every URL holds a tenant (real node-oidc-provider
 * instances under `/t/<tenant>`), connected in real Chromium with the tenant given by the app's
 * session or typed on the Connect page, then used through the proxy and refreshed — each at its
 * own tenant's URLs, with the API host allowlist following the tenant.
 */
describe("per-connection parameters (a tenant in every URL)", () => {
  let idp: TenantOAuthProvider;
  let vault: TestVault;
  let browser: Browser;
  let sdk: Vault;
  let baseUrl: string;

  const tokenCalls = (tenant: string) =>
    idp
      .tenant(tenant)
      .requests()
      .filter((request) => request.method === "POST" && request.path === "/token").length;

  beforeAll(async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const client = {
      client_id: "gv-corp",
      client_secret: randomBytes(16).toString("hex"),
      redirect_uris: [`${baseUrl}/v1/oauth/callback/corp`, `${baseUrl}/v1/oauth/callback/desk`],
    };
    idp = await startTenantOAuthProvider({ clients: [client], tenants: ["acme", "globex"] });
    const corp: ProviderConfig = {
      id: "corp",
      type: "oidc",
      displayName: "Corp SSO",
      issuer: `${idp.origin}/t/{tenant}`,
      apiBaseUrls: [`${idp.origin}/t/{tenant}`],
      parameters: [
        {
          name: "tenant",
          displayName: "Company workspace",
          description: "The name in your sign-in address, e.g. acme",
          pattern: "[a-z]+",
        },
      ],
      clientId: client.client_id,
      clientSecret: client.client_secret,
    };
    vault = await startTestVault({ publicUrl: baseUrl });
    await vault.app.listen({ host: "127.0.0.1", port });
    const appId = newId("app");
    await vault.store.apps.insert({ id: appId, name: "Tenant test app", createdAt: vault.clock.now() });
    // The app's own provider, in the database (its document, parameters included, round-trips).
    const admin = new ProviderAdmin({
      store: vault.store,
      keys: vault.keys,
      audit: new AuditLog(vault.store, vault.clock, vault.keys),
      events: new ConfigEvents(vault.store.pubsub),
      clock: vault.clock,
      publicUrl: baseUrl,
    });
    // Every problem of a bad document at once, through the same admin service.
    const refused = await admin
      .create(OPERATOR, appId, {
        ...corp,
        issuer: `${idp.origin}/t/{tenant}/{region}`,
        parameters: [{ name: "tenant", pattern: "([a-z" }, { name: "unused" }],
      })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "invalid_request",
      issues: expect.arrayContaining([
        { path: "parameters.0.pattern", message: "is not a valid regular expression" },
        { path: "issuer", message: '{region} is not a declared parameter (add it to "parameters")' },
        { path: "parameters.1.name", message: '"unused" is not used in any URL' },
      ]),
    });
    await admin.create(OPERATOR, appId, corp);
    // The same servers as a plain OAuth 2.0 provider: its subject (`sub` from userinfo) is the
    // login, the same in every tenant, as a helpdesk's user ids are.
    await admin.create(OPERATOR, appId, {
      id: "desk",
      type: "oauth2",
      displayName: "Desk",
      authorizationUrl: `${idp.origin}/t/{tenant}/auth`,
      tokenUrl: `${idp.origin}/t/{tenant}/token`,
      userinfoUrl: `${idp.origin}/t/{tenant}/me`,
      issuer: `${idp.origin}/t/{tenant}`,
      subjectField: "sub",
      accountIdentifierField: "email",
      scopes: ["openid", "email", "offline_access"],
      apiBaseUrls: [`${idp.origin}/t/{tenant}`],
      parameters: [{ name: "tenant" }],
      clientId: client.client_id,
      clientSecret: client.client_secret,
    });
    const key = await vault.apiKeys.createKey(appId, null);
    sdk = new Vault({ apiKey: key.plaintext, baseUrl });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await vault?.close();
    await idp?.stop();
  });

  /** The grant of `login`'s account (the result page shows only once the grant is saved). */
  async function grantOf(login: string) {
    const { grants } = await sdk.listGrants({ providerId: "corp" });
    const grant = grants.find((candidate) => candidate.accountIdentifier.startsWith(`${login}@`));
    if (!grant) throw new Error(`no grant of ${login}`);
    return grant;
  }

  it("listProviders() tells the app what each provider asks for (item 5)", async () => {
    const offered = await sdk.listProviders();
    expect(offered.map((provider) => [provider.id, provider.parameters])).toEqual([
      [
        "corp",
        [
          {
            name: "tenant",
            displayName: "Company workspace",
            description: "The name in your sign-in address, e.g. acme",
            pattern: "[a-z]+",
          },
        ],
      ],
      // Without a pattern of its own, a value must be a DNS label.
      [
        "desk",
        [
          {
            name: "tenant",
            displayName: "tenant",
            description: null,
            pattern: "^[a-z0-9][a-z0-9\\-]{0,62}$",
          },
        ],
      ],
    ]);
  });

  it("connects with the tenant the app gave, uses and refreshes the grant at that tenant only", async () => {
    const session = await sdk.createConnectSession({
      allowedProviders: ["corp"],
      connectionParams: { corp: { tenant: "acme" } },
    });
    // A value the app gave cannot be replaced by a posted field: the flow still goes to acme.
    const crafted = await fetch(`${session.connectUrl}/start`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "provider=corp&param.tenant=globex",
      redirect: "manual",
    });
    expect(crafted.status).toBe(303);
    expect(crafted.headers.get("location")).toMatch(new RegExp(`^${idp.origin}/t/acme/auth\\?`));

    const page = await newPage(browser);
    try {
      await page.goto(session.connectUrl);
      // The session gave the tenant: no field to fill, the button starts the flow.
      expect(await page.locator("[data-param]").count()).toBe(0);
      await page.locator(CONNECT_PAGE_SELECTORS.providerButton("corp")).click();
      expect(page.url()).toContain(`${idp.origin}/t/acme/`);
      await loginAndConsent(page, { login: "alice" });
      expect(await page.locator('[data-result="success"]').count()).toBe(1);
    } finally {
      await page.context().close();
    }
    const { grantId } = await grantOf("alice");
    const grant = await sdk.getGrant(grantId);
    expect(grant.connectionParams).toStrictEqual({ tenant: "acme" });
    expect(tokenCalls("acme")).toBe(1);
    expect(tokenCalls("globex")).toBe(0);

    // The allowlist follows the tenant: acme's API is allowed, another tenant's is refused.
    const me = await sdk.proxyRequest("GET", `${idp.origin}/t/acme/me`, { grantId });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: "alice" });
    const refused = await sdk
      .proxyRequest("GET", `${idp.origin}/t/globex/me`, { grantId })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HostNotAllowedError);
    expect(refused).toMatchObject({ code: "host_not_allowed" });

    // Past the access token's lifetime the vault refreshes at acme's token URL.
    vault.clock.advance(2 * 3600 * 1000);
    const again = await sdk.proxyRequest("GET", `${idp.origin}/t/acme/me`, { grantId });
    expect(again.status).toBe(200);
    expect(again.retryInfo?.refreshAttempts).toBe(1);
    expect(tokenCalls("acme")).toBe(2);
    expect(tokenCalls("globex")).toBe(0);
  });

  it("asks for the tenant on the Connect page, refuses a hostile value, then connects the typed tenant", async () => {
    const session = await sdk.createConnectSession({ allowedProviders: ["corp"] });
    const page = await newPage(browser);
    try {
      await page.goto(session.connectUrl);
      const form = page.locator('form[data-params-for="corp"]');
      const field = form.locator('[data-param="tenant"]');
      expect(await form.locator("label").textContent()).toBe("Company workspace");
      expect(await field.getAttribute("pattern")).toBe("[a-z]+");
      // Past the browser's own check (as a script or another client could): the vault decides.
      await form.evaluate((element) => {
        (element as unknown as { noValidate: boolean }).noValidate = true;
      });
      await field.fill("evil.com/");
      await form.locator(CONNECT_PAGE_SELECTORS.providerButton("corp")).click();
      await page.locator(".error").waitFor();
      expect(await page.locator(".error").textContent()).toMatch(/may only contain letters, digits/);
      expect(await page.locator('[data-param="tenant"]').inputValue()).toBe("evil.com/");
      expect(page.url().startsWith(baseUrl)).toBe(true);

      await page.locator('[data-param="tenant"]').fill("globex");
      await page.locator(CONNECT_PAGE_SELECTORS.providerButton("corp")).click();
      await loginAndConsent(page, { login: "bob" });
      expect(await page.locator('[data-result="success"]').count()).toBe(1);
    } finally {
      await page.context().close();
    }
    const { grantId, connectionParams } = await grantOf("bob");
    expect(connectionParams).toStrictEqual({ tenant: "globex" });
    expect(tokenCalls("globex")).toBe(1);
    const me = await sdk.proxyRequest("GET", `${idp.origin}/t/globex/me`, { grantId });
    expect(await me.json()).toMatchObject({ sub: "bob" });
    await expect(sdk.proxyRequest("GET", `${idp.origin}/t/acme/me`, { grantId })).rejects.toBeInstanceOf(
      HostNotAllowedError,
    );
  });

  it("refuses a session's unknown provider, unknown parameter or bad value, listing every problem", async () => {
    const error = await sdk
      .createConnectSession({
        allowedProviders: ["corp"],
        connectionParams: { corp: { tenant: "ACME/..", region: "eu" }, other: { tenant: "acme" } },
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "invalid_request",
      issues: [
        {
          path: "connection_params.corp.region",
          message: "is not a parameter of this provider (it takes: tenant)",
        },
        {
          path: "connection_params.corp.tenant",
          message: expect.stringMatching(/may only contain letters, digits/),
        },
        { path: "connection_params.other", message: "is not one of the session's providers" },
      ],
    });
  });

  it("the same account id in another tenant is another account: a grant of its own; the same tenant re-authorizes", async () => {
    const connectDesk = async (tenant: string) => {
      const session = await sdk.createConnectSession({
        allowedProviders: ["desk"],
        connectionParams: { desk: { tenant } },
      });
      const page = await newPage(browser);
      try {
        await page.goto(session.connectUrl);
        await page.locator(CONNECT_PAGE_SELECTORS.providerButton("desk")).click();
        await loginAndConsent(page, { login: "carol" });
        expect(await page.locator('[data-result="success"]').count()).toBe(1);
      } finally {
        await page.context().close();
      }
      const done = await sdk.listGrants({ providerId: "desk" });
      return done.grants;
    };
    const [atAcme] = await connectDesk("acme");
    const afterGlobex = await connectDesk("globex");
    expect(afterGlobex).toHaveLength(2);
    const atGlobex = afterGlobex.find((grant) => grant.grantId !== atAcme?.grantId);
    expect(atAcme?.connectionParams).toStrictEqual({ tenant: "acme" });
    expect(atGlobex?.connectionParams).toStrictEqual({ tenant: "globex" });
    // Each grant's token works at its own tenant only (each tenant's server knows its own tokens).
    for (const [grant, tenant, other] of [
      [atAcme, "acme", "globex"],
      [atGlobex, "globex", "acme"],
    ] as const) {
      const me = await sdk.proxyRequest("GET", `${idp.origin}/t/${tenant}/me`, {
        grantId: grant?.grantId ?? "",
      });
      expect(me.status).toBe(200);
      await expect(
        sdk.proxyRequest("GET", `${idp.origin}/t/${other}/me`, { grantId: grant?.grantId ?? "" }),
      ).rejects.toBeInstanceOf(HostNotAllowedError);
    }
    // Reconnecting carol at acme re-authorizes acme's grant; globex's is untouched.
    const again = await connectDesk("acme");
    expect(again.map((grant) => grant.grantId).sort()).toStrictEqual(
      [atAcme?.grantId, atGlobex?.grantId].sort(),
    );
  });
});
