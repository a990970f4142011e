import { getEventListeners } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUT_MS } from "./http.js";
import { NetworkError, Vault, VaultValueError } from "./index.js";

/*
 * The TypeScript SDK's HTTP timeout (issue 12, item 10): a vault that never answers fails a call
 * with NetworkError after `timeout` ms (30 s by default), and a long-poll's own wait is not cut.
 * Against real local HTTP servers.
 */

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Takes every request and never answers it. */
const silent = () => serve(() => {});

describe("SDK HTTP timeout", () => {
  it("waits 30 s by default", () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(30_000);
  });

  it.each([
    ["Node's HTTP client", {}],
    ["a caller-supplied fetch", { fetch: globalThis.fetch }],
  ])("fails a call the vault never answers with NetworkError after `timeout` (%s)", async (_name, extra) => {
    const baseUrl = await silent();
    const client = new Vault({ apiKey: "gv_live_x", baseUrl, timeout: 300, ...extra });
    const started = Date.now();
    const error = await client.getApp().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: "network_error" });
    expect((error as Error).message).toBe(
      `the vault at ${baseUrl} did not answer within 300 ms (the Vault's \`timeout\` option)`,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("applies to proxy mode until the answer's head arrives", async () => {
    const baseUrl = await silent();
    const client = new Vault({ apiKey: "gv_live_x", baseUrl, timeout: 300 });
    const error = await client
      .proxyRequest("GET", "https://api.example.test/x", { grantId: "grant_0123456789abcdef01234567" })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/did not answer within 300 ms/);
  });

  it("does not cut a long-poll: the timeout starts after the wait the vault was asked to hold", async () => {
    const asked: string[] = [];
    const baseUrl = await serve((request, response) => {
      const url = request.url ?? "";
      asked.push(`${request.method} ${url}`);
      const json = (body: unknown) => {
        response.writeHead(request.method === "POST" ? 201 : 200, { "content-type": "application/json" });
        response.end(JSON.stringify(body));
      };
      if (request.method === "POST") {
        json({
          session_id: "cs_0123456789abcdef01234567",
          session_token: "gvcs_x",
          // On the vault's own origin: the SDK opens no link elsewhere (F20b).
          connect_url: `http://${request.headers.host}/connect/gvcs_x`,
          confirmation_code: "ABCD-EFGH",
          expires_at: new Date(Date.now() + 600_000).toISOString(),
        });
        return;
      }
      // Held as a vault holds a pending session, then completed just before the wait runs out.
      const wait = Number(new URL(url, "http://x").searchParams.get("wait"));
      setTimeout(
        () =>
          json({
            session_id: "cs_0123456789abcdef01234567",
            status: "completed",
            expires_at: new Date(Date.now() + 600_000).toISOString(),
            results: [
              {
                grant_id: "grt_1",
                provider_id: "octo",
                account_identifier: "bob",
                scopes: [],
                grant_policy: null,
              },
            ],
            error: null,
          }),
        wait * 1000 - 100,
      );
    });
    const client = new Vault({ apiKey: "gv_live_x", baseUrl, timeout: 300 });
    const results = await client.connect({ timeout: 2_500, openBrowser: false, print: () => {} });
    expect(results).toMatchObject([{ grantId: "grt_1", providerId: "octo" }]);
    expect(asked).toStrictEqual([
      "POST /v1/connect/sessions",
      "GET /v1/connect/sessions/cs_0123456789abcdef01234567?wait=2",
    ]);
  });

  it("keeps the caller's signal working and leaves nothing attached to it", async () => {
    const baseUrl = await silent();
    const client = new Vault({ apiKey: "gv_live_x", baseUrl, timeout: 100 });
    const longLived = new AbortController();
    for (let i = 0; i < 5; i++) {
      await expect(
        client.connect({ timeout: 150, pollInterval: 100, openBrowser: false, signal: longLived.signal }),
      ).rejects.toBeInstanceOf(NetworkError);
    }
    expect(getEventListeners(longLived.signal, "abort")).toHaveLength(0);

    const aborting = new AbortController();
    const pending = client.getApp();
    const cancelled = new Vault({ apiKey: "gv_live_x", baseUrl, timeout: 10_000 })
      .connect({ openBrowser: false, signal: aborting.signal })
      .catch((caught: unknown) => caught);
    aborting.abort(new Error("stop"));
    expect(await cancelled).toMatchObject({ message: "stop" });
    await expect(pending).rejects.toBeInstanceOf(NetworkError);
  });

  it("refuses a timeout that is not a positive number of milliseconds", () => {
    for (const timeout of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Vault({ apiKey: "gv_live_x", baseUrl: "http://127.0.0.1:1", timeout })).toThrow(
        VaultValueError,
      );
    }
  });
});
