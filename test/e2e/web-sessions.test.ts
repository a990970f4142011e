import { RETURN_URL_PARAMS } from "@grantvault/protocol";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PolicyViolationError, Vault } from "../../packages/sdk/src/index.js";
import { launchBrowser, newPage } from "../harness/browser.js";
import { loginAndConsent } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

/**
 * Connect sessions for web apps, against the real vault and provider: what the operator allows
 * bounds what a session may ask for, the widget's status endpoint answers only the session's
 * origin, and a redirect-mode flow returns to the app with nothing secret in the URL.
 */
let world: ConnectWorld;
let browser: Browser;
let vault: Vault;
/** The app's own web origin: the resource API's, so the browser can land on a real page. */
let appOrigin: string;

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  appOrigin = new URL(world.api.baseUrl).origin;
  await world.vault.store.apps.setAllowedOrigins(world.appId, [appOrigin]);
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describe("web connect sessions", () => {
  it("refuses a return URL or widget origin the operator did not allow (no open redirect)", async () => {
    const refusals = [
      { returnUrl: "https://evil.example/steal" },
      { allowedOrigin: "https://evil.example" },
      // Same host, another port: another origin.
      { returnUrl: `http://127.0.0.1:${Number(new URL(appOrigin).port) + 1}/back` },
    ];
    for (const options of refusals) {
      const error = await vault.createConnectSession(options).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(PolicyViolationError);
      expect((error as PolicyViolationError).code).toBe("origin_not_allowed");
    }
    const ok = await vault.createConnectSession({ returnUrl: `${appOrigin}/done`, allowedOrigin: appOrigin });
    expect(ok.connectUrl).toBe(`${world.baseUrl}/connect/${ok.sessionToken}`);
  });

  it("rejects malformed origins and URLs with a 400 listing each problem", async () => {
    const response = await fetch(`${world.baseUrl}/v1/connect/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        allowed_origin: `${appOrigin}/path`,
        return_url: "javascript:alert(1)",
        metadata: { note: "x".repeat(600) },
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.issues.map((issue) => issue.path).sort()).toStrictEqual([
      "allowed_origin",
      "metadata.note",
      "return_url",
    ]);
  });

  it("lets required scopes narrow the configured ones, never widen them", async () => {
    await expect(
      vault.createConnectSession({
        allowedProviders: ["octo"],
        requiredScopes: { octo: ["repo", "admin:org"] },
      }),
    ).rejects.toMatchObject({ code: "scope_not_allowed" });
    await expect(
      vault.createConnectSession({ allowedProviders: ["octo"], requiredScopes: { idp: ["openid"] } }),
    ).rejects.toMatchObject({ code: "scope_not_allowed" });

    const session = await vault.createConnectSession({
      allowedProviders: ["octo"],
      requiredScopes: { octo: ["read:user"] },
    });
    // The start form's redirect to the provider asks for exactly the narrowed scopes.
    const started = await fetch(`${session.connectUrl}/start`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: world.baseUrl },
      body: "provider=octo",
      redirect: "manual",
    });
    expect(started.status).toBe(303);
    expect(new URL(started.headers.get("location") ?? "").searchParams.get("scope")).toBe("read:user");
  });

  it("answers the widget's status request, readable by the session's origin only", async () => {
    const session = await vault.createConnectSession({ allowedOrigin: appOrigin });
    const status = (origin: string) =>
      fetch(`${world.baseUrl}/connect/${session.sessionToken}/status`, { headers: { origin } });
    const own = await status(appOrigin);
    expect(own.status).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBe(appOrigin);
    expect(await own.json()).toMatchObject({ session_id: session.sessionId, status: "pending" });
    const foreign = await status("https://evil.example");
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();

    const unknown = await fetch(`${world.baseUrl}/connect/gvcs_${"A".repeat(43)}/status`);
    expect(unknown.status).toBe(404);
    // Readable anywhere, so the widget can say invalid_token rather than network_error.
    expect(unknown.headers.get("access-control-allow-origin")).toBe("*");
    expect(await unknown.json()).toMatchObject({ error: { code: "session_not_found" } });
  });

  it("sends a redirect-mode browser back to the return URL with the session id and status only", async () => {
    const session = await vault.createConnectSession({
      allowedProviders: ["octo"],
      returnUrl: `${appOrigin}/connected?from=settings`,
    });
    const page = await newPage(browser);
    try {
      await page.goto(`${session.connectUrl}?display=redirect`);
      await page.locator('[data-provider="octo"]').click();
      await Promise.all([
        page.waitForURL((url) => url.origin === appOrigin, { waitUntil: "commit" }),
        loginAndConsent(page, { login: "redirected", done: "body:not(:has(form))" }).catch(() => undefined),
      ]);
      const url = new URL(page.url());
      expect(url.pathname).toBe("/connected");
      expect(Object.fromEntries(url.searchParams)).toStrictEqual({
        from: "settings",
        [RETURN_URL_PARAMS.sessionId]: session.sessionId,
        [RETURN_URL_PARAMS.status]: "success",
      });
    } finally {
      await page.context().close();
    }
    const { grants } = await vault.listGrants({ providerId: "octo", accountIdentifier: "redirected" });
    expect(grants).toHaveLength(1);
  });

  it("sends a redirect-mode browser back with status denied when the user cancels", async () => {
    const session = await vault.createConnectSession({ returnUrl: `${appOrigin}/connected` });
    const page = await newPage(browser);
    try {
      await page.goto(`${session.connectUrl}?display=redirect`);
      await Promise.all([
        page.waitForURL((url) => url.origin === appOrigin, { waitUntil: "commit" }),
        page.locator('[data-action="cancel"]').click(),
      ]);
      expect(new URL(page.url()).searchParams.get(RETURN_URL_PARAMS.status)).toBe("denied");
    } finally {
      await page.context().close();
    }
  });
});
