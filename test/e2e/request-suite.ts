import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CredentialRevokedError,
  GrantExpiredError,
  GrantRevokedError,
  HostNotAllowedError,
  NetworkError,
  ProviderAPIError,
  TokenRefreshUnavailableError,
  Vault,
  VaultValueError,
} from "../../packages/sdk/src/index.js";
import { CredentialStore, KeyringHolder } from "../../packages/server/src/testing.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, DOWN_API_BASE_URL, startConnectWorld } from "../harness/connect-world.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";

/** A server where no token may ever arrive; `hits` lists every request it got. */
async function startTrap(): Promise<{ hits: string[]; trapUrl: string; trap: Server }> {
  const hits: string[] = [];
  const trap = createServer((request, response) => {
    hits.push(`${request.method} ${request.url} ${request.headers.authorization ?? ""}`);
    response.end("{}");
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  return { hits, trap, trapUrl: `http://127.0.0.1:${(trap.address() as AddressInfo).port}/collect` };
}

/**
 * `vault.request()` (retrieve mode) against the real vault, the real OAuth provider and a resource
 * API that checks tokens by introspection — on SQLite, and on PostgreSQL with two server processes.
 */
export function requestSuite(engine: "sqlite" | "postgres"): void {
  let world: ConnectWorld;
  let browser: Browser;
  let vault: Vault;
  let database: TestDatabase | undefined;
  /** While positive, the vault's calls to the token endpoint fail with 503 (and count down). */
  let failTokenCalls = 0;

  const countRetrieved = async (grantId: string) =>
    (await vault.listAuditEvents({ grantId, type: "credential.retrieved", limit: 100 })).events.length;
  const tokenCalls = () =>
    world.oauth.requests().filter((request) => request.method === "POST" && request.path === "/token").length;
  /** Moves every vault's clock to just past the access tokens' one-hour lifetime. */
  const expireAccessTokens = (...clocks: { advance(ms: number): void }[]) => {
    for (const clock of clocks) clock.advance(3600 * 1000);
  };

  beforeAll(async () => {
    database = engine === "postgres" ? await createTestDatabase() : undefined;
    const flakyFetch: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (failTokenCalls > 0 && url === world.oauth.tokenUrl) {
        failTokenCalls--;
        return new Response("upstream unavailable", { status: 503 });
      }
      return fetch(input, init);
    };
    [world, browser] = await Promise.all([
      startConnectWorld({ ...(database ? { databaseUrl: database.url } : {}), fetch: flakyFetch }),
      launchBrowser(),
    ]);
    vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
    await database?.drop();
  });

  describe(`vault.request() on ${engine}`, () => {
    it("calls the provider's API with the credential injected, never the vault key", async () => {
      const grantId = await connectAccount(world, browser, "octo", "alice");
      const response = await vault.request("GET", `${world.api.baseUrl}/{what}`, {
        grantId,
        pathParams: { what: "user" },
        reason: "show the profile",
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ login: "alice" });
      const seen = world.api.requests().at(-1);
      expect(seen?.headers.authorization).toMatch(/^Bearer \S+$/);
      expect(JSON.stringify(seen?.headers)).not.toContain(world.apiKey);
      expect((await vault.getGrant(grantId)).lastUsedAt).toBeInstanceOf(Date);
    });

    it("fills path parameters URL-encoded, appends query parameters and sends JSON", async () => {
      const grantId = await connectAccount(world, browser, "idp", "bob");
      const response = await vault.request("post", `${world.api.baseUrl}/echo/{name}`, {
        grantId,
        pathParams: { name: "a b/c" },
        queryParams: { page: 2, tag: ["x", "y"], skip: undefined },
        json: { hello: "world" },
        extraHeaders: { "x-trace": "t-1" },
      });
      const echoed = (await response.json()) as {
        method: string;
        path: string;
        query: unknown;
        body: string;
      };
      expect(echoed.method).toBe("POST");
      expect(echoed.path).toBe("/echo/a%20b%2Fc");
      expect(echoed.query).toStrictEqual({ page: "2", tag: ["x", "y"] });
      expect(JSON.parse(echoed.body)).toStrictEqual({ hello: "world" });
      expect(world.api.requests().at(-1)?.headers["x-trace"]).toBe("t-1");
    });

    it("refuses a host that is not the provider's API before handing out any token", async () => {
      const grantId = await connectAccount(world, browser, "octo", "dora");
      const { hits, trapUrl, trap } = await startTrap();
      try {
        for (const url of [
          trapUrl,
          `${world.api.baseUrl.replace("127.0.0.1", "localhost")}/user`,
          "https://attacker.example/steal",
          "http://example.com/user",
        ]) {
          await expect(vault.request("GET", url, { grantId })).rejects.toBeInstanceOf(HostNotAllowedError);
        }
        expect(hits).toStrictEqual([]);
      } finally {
        trap.close();
      }
    });

    it("calls providers as fetch would, but hands redirects back unfollowed and names itself", async () => {
      const grantId = await connectAccount(world, browser, "octo", "lena");
      const { hits, trapUrl, trap } = await startTrap();
      try {
        const moved = await vault.request("GET", `${world.api.baseUrl}/moved`, {
          grantId,
          queryParams: { to: trapUrl },
        });
        expect(moved.status).toBe(302);
        expect(moved.headers.get("location")).toBe(trapUrl);
        expect(moved.url).toBe(`${world.api.baseUrl}/moved?to=${encodeURIComponent(trapUrl)}`);
        // With a fetch of the caller's, every call goes through it, and still no redirect is followed.
        const calledUrls: string[] = [];
        const withFetch = new Vault({
          apiKey: world.apiKey,
          baseUrl: world.baseUrl,
          fetch: (input, init) => {
            calledUrls.push(input instanceof Request ? input.url : String(input));
            return fetch(input, init);
          },
        });
        const movedViaFetch = await withFetch.request("GET", `${world.api.baseUrl}/moved`, {
          grantId,
          queryParams: { to: trapUrl },
        });
        expect(movedViaFetch.status).toBe(302);
        expect(calledUrls.map((url) => new URL(url).origin)).toStrictEqual([
          world.baseUrl,
          world.api.baseUrl,
        ]);
        // The credential went to the API only, never where the redirect points.
        expect(hits).toStrictEqual([]);
      } finally {
        trap.close();
      }

      // A large answer (no Content-Length: chunked) streams; a User-Agent is sent unless named.
      const big = "x".repeat(300_000);
      const echoed = await vault.request("POST", `${world.api.baseUrl}/echo`, { grantId, json: { big } });
      const seen = (await echoed.json()) as { body: string; headers: Record<string, string> };
      expect(JSON.parse(seen.body).big).toHaveLength(300_000);
      expect(seen.headers["user-agent"]).toBe("grantvault-node");
      const named = await vault.request("GET", `${world.api.baseUrl}/echo`, {
        grantId,
        extraHeaders: { "User-Agent": "my-agent/1.0" },
      });
      expect(((await named.json()) as typeof seen).headers["user-agent"]).toBe("my-agent/1.0");

      // An allowed API that cannot be reached: a NetworkError naming the host (as in Python).
      const down = vault.request("GET", `${DOWN_API_BASE_URL}/status`, { grantId });
      await expect(down).rejects.toBeInstanceOf(NetworkError);
      await expect(down).rejects.toMatchObject({
        code: "network_error",
        message: "cannot reach 127.0.0.1:1",
      });
    });

    it("refuses caller-supplied credentials headers", async () => {
      await expect(
        vault.request("GET", `${world.api.baseUrl}/user`, {
          grantId: "grant_000000000000000000000000",
          extraHeaders: { Authorization: "Bearer mine" },
        }),
      ).rejects.toBeInstanceOf(VaultValueError);
    });

    it("refreshes ahead of expiry, once for many concurrent callers", async () => {
      const grantId = await connectAccount(world, browser, "octo", "erin");
      const before = tokenCalls();
      expireAccessTokens(world.vault.clock);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => vault.request("GET", `${world.api.baseUrl}/user`, { grantId })),
      );
      expect(responses.map((response) => response.status)).toStrictEqual(Array(20).fill(200));
      expect(tokenCalls() - before).toBe(1);
      // Callers that waited for the refresh learn it took one call to the provider; a caller that
      // read the old token just before it landed finds the new one under the lock (0 calls); one
      // that came after found a fresh token (null).
      const infos = responses.map((response) => JSON.stringify(response.retryInfo));
      expect(infos).toContain(JSON.stringify({ refreshAttempts: 1 }));
      const possible = ["null", '{"refreshAttempts":1}', '{"refreshAttempts":0}'];
      for (const info of infos) expect(possible).toContain(info);
      // The refreshed token is good for another hour: no further refresh.
      const later = await vault.request("GET", `${world.api.baseUrl}/user`, { grantId });
      expect(tokenCalls() - before).toBe(1);
      expect(later.retryInfo).toBeNull();
    });

    it("retries a provider that is briefly down, and keeps the grant when it stays down", async () => {
      const grantId = await connectAccount(world, browser, "octo", "fred");
      expireAccessTokens(world.vault.clock);
      failTokenCalls = 2;
      const recovered = await vault.request("GET", `${world.api.baseUrl}/user`, { grantId });
      expect(recovered.status).toBe(200);
      expect(recovered.retryInfo).toStrictEqual({ refreshAttempts: 3 });
      // Proxy mode reports it too.
      expireAccessTokens(world.vault.clock);
      failTokenCalls = 1;
      const proxied = await vault.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId });
      expect(proxied.status).toBe(200);
      expect(proxied.retryInfo).toStrictEqual({ refreshAttempts: 2 });

      expireAccessTokens(world.vault.clock);
      failTokenCalls = 100;
      await expect(vault.request("GET", `${world.api.baseUrl}/user`, { grantId })).rejects.toBeInstanceOf(
        TokenRefreshUnavailableError,
      );
      failTokenCalls = 0;
      expect((await vault.getGrant(grantId)).status).toBe("active");
      expect((await vault.request("GET", `${world.api.baseUrl}/user`, { grantId })).status).toBe(200);
    });

    it("marks the grant for re-authorization when the provider refuses the refresh", async () => {
      const grantId = await connectAccount(world, browser, "octo", "gina");
      await world.oauth.revokeAllFor("gina");
      expireAccessTokens(world.vault.clock);
      await expect(vault.request("GET", `${world.api.baseUrl}/user`, { grantId })).rejects.toBeInstanceOf(
        CredentialRevokedError,
      );
      const grant = await vault.getGrant(grantId);
      expect(grant.status).toBe("reauth_required");
      expect(grant.statusReason).toContain("invalid_grant");
      // Connecting again re-authorizes the same grant.
      expect(await connectAccount(world, browser, "octo", "gina")).toBe(grantId);
      expect((await vault.request("GET", `${world.api.baseUrl}/user`, { grantId })).status).toBe(200);
    });

    it("refuses revoked and expired grants, and never refreshes an expired one", async () => {
      const revokedId = await connectAccount(world, browser, "octo", "hank");
      await vault.revokeGrant(revokedId);
      await expect(
        vault.request("GET", `${world.api.baseUrl}/user`, { grantId: revokedId }),
      ).rejects.toBeInstanceOf(GrantRevokedError);
      const shortId = await connectAccount(world, browser, "idp", "hank", { default_ttl_seconds: 600 });
      world.vault.clock.advance(3600 * 1000);
      const before = tokenCalls();
      await expect(
        vault.request("GET", `${world.api.baseUrl}/user`, { grantId: shortId }),
      ).rejects.toBeInstanceOf(GrantExpiredError);
      expect(tokenCalls()).toBe(before);
      // The expiry is recorded once, however often the grant is refused for it.
      await expect(
        vault.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId: shortId }),
      ).rejects.toBeInstanceOf(GrantExpiredError);
      const { events } = await vault.listAuditEvents({ grantId: shortId });
      expect(events.filter((event) => event.type === "grant.expired")).toHaveLength(1);
      expect(events.filter((event) => event.type === "credential.refused")).toHaveLength(2);
    });

    it("repeated calls skip the read, yet see at once what another server revoked or refreshed", async () => {
      const grantId = await connectAccount(world, browser, "idp", "kim");
      const url = `${world.api.baseUrl}/user`;
      const { store } = world.vault;
      const ok = async (caller: Vault) =>
        expect((await caller.request("GET", url, { grantId })).status).toBe(200);
      let reads = 0;
      const read = store.grants.getForKey.bind(store.grants);
      store.grants.getForKey = (...args) => {
        reads++;
        return read(...args);
      };
      try {
        // The first calls read (and record last use); then the calls decide on that read.
        await ok(vault);
        await ok(vault);
        reads = 0;
        const retrievedBefore = await countRetrieved(grantId);
        for (let i = 0; i < 3; i++) await ok(vault);
        expect(reads).toBe(0);
        expect((await countRetrieved(grantId)) - retrievedBefore).toBe(3);

        // Another server refreshed: the next call hands out the new token, not the one it read.
        const credentials = new CredentialStore(
          store,
          new KeyringHolder(world.vault.keyring, { kind: "env" }),
          world.vault.clock,
        );
        await credentials.save(grantId, {
          accessToken: "refreshed-by-another-server",
          expiresAt: world.vault.clock.now() + 3_600_000,
        });
        await vault.request("GET", url, { grantId });
        expect(world.api.requests().at(-1)?.headers.authorization).toBe("Bearer refreshed-by-another-server");
        expect(reads).toBe(1);

        // Another server revoked the API key: refused at once.
        const second = await world.vault.apiKeys.createKey(world.appId, "second");
        const secondVault = new Vault({ apiKey: second.plaintext, baseUrl: world.baseUrl });
        await secondVault.request("GET", url, { grantId });
        await secondVault.request("GET", url, { grantId });
        await store.apiKeys.revoke(second.key.id, world.vault.clock.now());
        await expect(secondVault.request("GET", url, { grantId })).rejects.toMatchObject({
          code: "api_key_revoked",
        });

        // Another server revoked the grant: refused at once.
        await store.grants.setStatus(grantId, "revoked", "revoked elsewhere", world.vault.clock.now());
        await expect(vault.request("GET", url, { grantId })).rejects.toBeInstanceOf(GrantRevokedError);
      } finally {
        store.grants.getForKey = read;
      }
    });

    it("proxy mode: the vault makes the call, streams the body, and the token stays inside", async () => {
      const grantId = await connectAccount(world, browser, "octo", "jack");
      const user = await vault.proxyRequest("GET", `${world.api.baseUrl}/user`, { grantId, reason: "proxy" });
      expect(user.status).toBe(200);
      expect(await user.json()).toMatchObject({ login: "jack" });

      const echoed = await vault.proxyRequest("PUT", `${world.api.baseUrl}/echo/{id}`, {
        grantId,
        pathParams: { id: "42" },
        json: { big: "x".repeat(100_000) },
        extraHeaders: { "x-trace": "p-1" },
      });
      const body = (await echoed.json()) as {
        method: string;
        path: string;
        body: string;
        headers: Record<string, string>;
      };
      expect(body).toMatchObject({ method: "PUT", path: "/echo/42" });
      expect(JSON.parse(body.body).big).toHaveLength(100_000);
      expect(body.headers["x-trace"]).toBe("p-1");
      // What reached the provider carried the grant's token, never the vault API key.
      expect(body.headers.authorization).toMatch(/^Bearer /);
      expect(JSON.stringify(body.headers)).not.toContain(world.apiKey);

      const missing = await vault.proxyRequest("GET", `${world.api.baseUrl}/nothing`, { grantId });
      expect(missing.status).toBe(404);

      await expect(
        vault.proxyRequest("GET", "https://elsewhere.example/", { grantId }),
      ).rejects.toBeInstanceOf(HostNotAllowedError);
      // An allowed API that cannot be reached: the vault says so (502 upstream_unreachable).
      const down = vault.proxyRequest("GET", `${DOWN_API_BASE_URL}/status`, { grantId });
      await expect(down).rejects.toBeInstanceOf(ProviderAPIError);
      await expect(down).rejects.toMatchObject({ code: "upstream_unreachable", status: 502 });
      const forged = await world.vault.app.inject({
        method: "POST",
        url: `/v1/grants/${grantId}/proxy`,
        headers: {
          authorization: `Bearer ${world.apiKey}`,
          "grantvault-method": "GET",
          "grantvault-url": `${world.api.baseUrl}/user`,
          "grantvault-forward-authorization": "Bearer attacker-token",
        },
      });
      expect(forged.statusCode).toBe(400);
      expect(forged.json().error.code).toBe("forbidden_header");

      const tooBig = await vault
        .proxyRequest("POST", `${world.api.baseUrl}/echo`, {
          grantId,
          body: new Uint8Array(11 * 1024 * 1024),
        })
        .catch((error: unknown) => error);
      expect(tooBig).toMatchObject({ code: "payload_too_large", status: 413 });

      const { events } = await vault.listAuditEvents({ type: "request.proxied", grantId });
      expect(events[0]?.details).toMatchObject({ method: "GET", path: "/nothing", status: 404 });
      expect(events.length).toBe(3);
    });

    if (engine === "postgres") {
      it("two server processes refresh a grant exactly once between them", async () => {
        const grantId = await connectAccount(world, browser, "octo", "ivan");
        const peer = await world.startPeer();
        const before = tokenCalls();
        expireAccessTokens(world.vault.clock, peer.clock);
        const viaPeer = (n: number) =>
          Array.from({ length: n }, () =>
            peer.app.inject({
              method: "POST",
              url: `/v1/grants/${grantId}/credential`,
              headers: { authorization: `Bearer ${world.apiKey}` },
              payload: { method: "GET", url: `${world.api.baseUrl}/user` },
            }),
          );
        const viaFirst = Array.from({ length: 10 }, () =>
          vault.request("GET", `${world.api.baseUrl}/user`, { grantId }),
        );
        const [fromPeer, fromFirst] = await Promise.all([Promise.all(viaPeer(10)), Promise.all(viaFirst)]);
        expect(fromPeer.map((response) => response.statusCode)).toStrictEqual(Array(10).fill(200));
        expect(fromFirst.map((response) => response.status)).toStrictEqual(Array(10).fill(200));
        expect(tokenCalls() - before).toBe(1);
        const tokens = new Set(fromPeer.map((response) => response.json().headers.authorization));
        expect(tokens.size).toBe(1);
      });
    }
  });
}
