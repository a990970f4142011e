import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ConnectConfigError,
  ConnectDeniedError,
  ConnectTimeoutError,
  Vault,
  VaultValueError,
} from "../../packages/sdk/src/index.js";
import { type BrowserOpenerAction, browserOpenerEnv, launchBrowser, newPage } from "../harness/browser.js";
import { completeConnectFlow } from "../harness/connect-flow.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";

/**
 * `vault.connect()` end to end: the real SDK, the real browser opener (the `open` package runs
 * `$BROWSER`, a script driving headless Chromium), the real vault and a real OAuth provider.
 */
export function sdkConnectSuite(engine: "sqlite" | "postgres"): void {
  let world: ConnectWorld;
  let browser: Browser;
  let logDir: string;
  let printed: string;
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    database = engine === "postgres" ? await createTestDatabase() : undefined;
    [world, browser] = await Promise.all([
      startConnectWorld(database ? { databaseUrl: database.url } : {}),
      launchBrowser(),
    ]);
    logDir = await mkdtemp(join(tmpdir(), "gv-opener-"));
    // xdg-open uses $BROWSER only when it finds no desktop.
    for (const name of ["DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP", "SSH_CONNECTION", "SSH_TTY"]) {
      delete process.env[name];
    }
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
    await rm(logDir, { recursive: true, force: true });
    await database?.drop();
  });
  beforeEach(() => {
    printed = "";
  });

  function vault(): Vault {
    return new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  }

  const print = (text: string) => {
    printed += text;
  };

  /** The next browser the SDK opens will act as `login` and do `action` with `provider`. */
  function userWillDo(provider: string, action: BrowserOpenerAction = "approve", login = "alice"): string {
    const logFile = join(logDir, `${provider}-${action}-${login}-${Date.now()}.log`);
    Object.assign(process.env, browserOpenerEnv({ provider, logFile, login, action }));
    return logFile;
  }

  describe(`vault.connect() on ${engine}`, () => {
    it("opens the browser, and returns a grant with account identifier and scopes", async () => {
      const log = userWillDo("idp", "approve", "alice");
      const results = await vault().connect({ providers: ["idp"], print, timeout: 60_000 });
      expect(results).toStrictEqual([
        {
          grantId: expect.stringMatching(/^grant_[0-9a-f]{24}$/),
          providerId: "idp",
          accountIdentifier: "alice@example.test",
          scopes: expect.arrayContaining(["openid", "email"]),
          grantPolicy: null,
        },
      ]);
      expect(printed).toMatch(
        /open this link in your browser:\n\n {2}http:\/\/127\.0\.0\.1:\d+\/connect\/gvcs_/,
      );
      expect(printed).toMatch(/Confirmation code: [A-Z2-9]{4}-[A-Z2-9]{4}/);
      // The browser script finishes on its own schedule, shortly after the vault saw the callback.
      await expect.poll(() => readFile(log, "utf8"), { timeout: 10_000 }).toContain("result: success");
    });

    it("connects two providers, one grant each, and a reconnect keeps the grant id", async () => {
      userWillDo("octo", "approve", "carol");
      const [octo] = await vault().connect({ providers: ["octo"], print, timeout: 60_000 });
      userWillDo("idp", "approve", "carol");
      const [idp] = await vault().connect({ providers: ["idp", "octo"], print, timeout: 60_000 });
      expect(octo).toMatchObject({
        providerId: "octo",
        accountIdentifier: "carol",
        scopes: ["repo", "read:user"],
      });
      expect(idp).toMatchObject({ providerId: "idp", accountIdentifier: "carol@example.test" });
      expect(idp?.grantId).not.toBe(octo?.grantId);

      userWillDo("octo", "approve", "carol");
      const [again] = await vault().connect({
        providers: ["octo"],
        print,
        timeout: 60_000,
        grantPolicy: { maxTtlSeconds: 7200 },
      });
      expect(again?.grantId).toBe(octo?.grantId);
      expect(again?.grantPolicy).toStrictEqual({ maxTtlSeconds: 7200 });
    });

    it("rejects with ConnectDeniedError when the user cancels at the provider", async () => {
      userWillDo("idp", "deny-at-provider");
      await expect(vault().connect({ providers: ["idp"], print, timeout: 60_000 })).rejects.toBeInstanceOf(
        ConnectDeniedError,
      );
    });

    it("rejects with ConnectConfigError when the provider refuses the vault's client", async () => {
      userWillDo("broken", "approve");
      const error = await vault()
        .connect({ providers: ["broken"], print, timeout: 60_000 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectConfigError);
      expect(error).toMatchObject({ code: "provider_config" });
    });

    it("rejects with ConnectTimeoutError when the user never finishes", async () => {
      userWillDo("idp", "ignore");
      const started = Date.now();
      await expect(vault().connect({ providers: ["idp"], print, timeout: 2_000 })).rejects.toBeInstanceOf(
        ConnectTimeoutError,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    });

    it("rejects with ConnectTimeoutError when the session expires", async () => {
      userWillDo("idp", "ignore");
      await expect(
        vault().connect({
          providers: ["idp"],
          print,
          timeout: 60_000,
          // The vault's clock is a test clock: the session's 10 minutes pass at once.
          onWaiting: () => world.vault.clock.advance(11 * 60 * 1000),
        }),
      ).rejects.toThrow(/expired/);
    });

    it("with openBrowser: false prints the URL and completes when someone visits it", async () => {
      const log = userWillDo("idp", "approve");
      let visited: Promise<unknown> | undefined;
      const results = await vault().connect({
        providers: ["idp"],
        openBrowser: false,
        print,
        timeout: 60_000,
        onWaiting: ({ connectUrl, browserOpened }) => {
          expect(browserOpened).toBe(false);
          // Someone copies the printed link into a browser elsewhere.
          const url = /(http:\/\/\S+\/connect\/gvcs_\S+)/.exec(printed)?.[1];
          expect(url).toBe(connectUrl);
          visited = newPage(browser).then(async (page) => {
            await completeConnectFlow(page, url as string, { provider: "idp", login: "dave" });
            await page.context().close();
          });
        },
      });
      await visited;
      expect(results[0]?.accountIdentifier).toBe("dave@example.test");
      await expect(readFile(log, "utf8")).rejects.toThrow(/ENOENT/);
    });

    it("refuses bad arguments before any network call", async () => {
      const offline = new Vault({ apiKey: "gv_live_x", baseUrl: "http://127.0.0.1:1" });
      await expect(offline.connect({ providers: [] })).rejects.toBeInstanceOf(VaultValueError);
      await expect(offline.connect({ providers: ["Not A Provider"] })).rejects.toBeInstanceOf(
        VaultValueError,
      );
      await expect(offline.connect({ timeout: -1 })).rejects.toBeInstanceOf(VaultValueError);
      await expect(offline.connect({ grantPolicy: { maxTtlSeconds: 1.5 } })).rejects.toBeInstanceOf(
        VaultValueError,
      );
    });
  });
}
