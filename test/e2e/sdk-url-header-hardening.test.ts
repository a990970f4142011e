import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTable } from "../../packages/sdk/src/cli/table.js";
import {
  ConnectConfigError,
  ConnectFlowError,
  HostNotAllowedError,
  NetworkError,
  PolicyViolationError,
  Vault,
  VaultValueError,
} from "../../packages/sdk/src/index.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, DOWN_API_BASE_URL, startConnectWorld } from "../harness/connect-world.js";

/**
 * Security review 1, URL and header handling (F9, F10, F11, F16, F17) and SDK hardening (F20a,
 * F20b, F20f, F22; issue 12 item 11's connect() part), against a real vault, the real OAuth
 * provider and the resource API.
 */
let world: ConnectWorld;
let browser: Browser;
let vault: Vault;
let grantId: string;

beforeAll(async () => {
  [world, browser] = await Promise.all([startConnectWorld(), launchBrowser()]);
  vault = new Vault({ apiKey: world.apiKey, baseUrl: world.baseUrl });
  grantId = await connectAccount(world, browser, "octo", "alice");
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

const auditCount = async () => (await vault.listAuditEvents({ grantId, limit: 100 })).events.length;

/** `POST /v1/grants/<id>/proxy` as raw HTTP, for headers the SDK itself would never send. */
function rawProxy(headers: Record<string, string>): Promise<Response> {
  return fetch(`${world.baseUrl}/v1/grants/${grantId}/proxy`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${world.apiKey}`,
      "grantvault-method": "GET",
      "grantvault-url": `${world.api.baseUrl}/echo`,
      ...headers,
    },
  });
}

describe("request URLs", () => {
  it("F10: refuses `.`, `..` and empty path parameters before any network call", async () => {
    const before = world.api.requests().length;
    for (const value of ["..", ".", ""]) {
      const call = vault.request("GET", `${world.api.baseUrl}/echo/{a}/x`, {
        grantId,
        pathParams: { a: value },
      });
      await expect(call).rejects.toBeInstanceOf(VaultValueError);
      await expect(
        vault.proxyRequest("GET", `${world.api.baseUrl}/echo/{a}/x`, { grantId, pathParams: { a: value } }),
      ).rejects.toBeInstanceOf(VaultValueError);
    }
    expect(world.api.requests().length).toBe(before);
    // Dots inside a value are fine (they are not a whole segment).
    const fine = await vault.request("GET", `${world.api.baseUrl}/echo/{a}`, {
      grantId,
      pathParams: { a: "v1.2" },
    });
    expect(((await fine.json()) as { path: string }).path).toBe("/echo/v1.2");
  });

  it("F9: the credential answer names the canonical URL the vault approved, and the SDK calls it", async () => {
    const answer = await fetch(`${world.baseUrl}/v1/grants/${grantId}/credential`, {
      method: "POST",
      headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ method: "GET", url: `${world.api.baseUrl}\\echo\\x.evil.example` }),
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { url?: string };
    expect(body.url).toBe(`${world.api.baseUrl}/echo/x.evil.example`);
    const response = await vault.request("GET", `${world.api.baseUrl}/echo/{p}`, {
      grantId,
      pathParams: { p: "q" },
    });
    expect(response.status).toBe(200);
    expect(world.api.requests().at(-1)?.path).toBe("/echo/q");
  });

  it("F11: an encoded separator that climbs out of the API base path is refused", async () => {
    // DOWN_API_BASE_URL (`http://127.0.0.1:1/down`) is one of octo's API bases, with a base path.
    for (const climb of [
      "..%2F..%2Fcollect",
      "..%2f..%2fcollect",
      "%2E%2E%2Fcollect",
      "..%5C..%5Ccollect",
      "..%252F..%252Fcollect",
    ]) {
      await expect(vault.request("GET", `${DOWN_API_BASE_URL}/${climb}`, { grantId })).rejects.toBeInstanceOf(
        HostNotAllowedError,
      );
    }
    // An encoded slash that stays under the base path (GitLab's `group%2Fproject`) is allowed:
    // the vault lets it through and the call fails only because nothing listens there.
    await expect(
      vault.request("GET", `${DOWN_API_BASE_URL}/projects/group%2Fproject`, { grantId }),
    ).rejects.toBeInstanceOf(NetworkError);
  });
});

describe("proxy mode headers", () => {
  it("F16: method-override headers are refused before a credential is issued or audited", async () => {
    const before = auditCount();
    const seen = world.api.requests().length;
    const beforeCount = await before;
    for (const name of ["X-HTTP-Method-Override", "x-http-method", "X-Method-Override"]) {
      const call = vault.proxyRequest("GET", `${world.api.baseUrl}/echo`, {
        grantId,
        extraHeaders: { [name]: "DELETE" },
      });
      await expect(call).rejects.toBeInstanceOf(PolicyViolationError);
      await expect(call).rejects.toMatchObject({ code: "method_override_refused", status: 400 });
    }
    expect(world.api.requests().length).toBe(seen);
    expect(await auditCount()).toBe(beforeCount);
  });

  it("F16: an empty forwarded header name is a 400 before a credential is issued or audited", async () => {
    const beforeCount = await auditCount();
    const seen = world.api.requests().length;
    const answer = await rawProxy({ "grantvault-forward-": "x" });
    expect(answer.status).toBe(400);
    expect(answer.headers.get("grantvault-proxied")).toBeNull();
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe(
      "invalid_forwarded_header",
    );
    expect(world.api.requests().length).toBe(seen);
    expect(await auditCount()).toBe(beforeCount);
  });

  it("F17: a proxied answer keeps the provider's CSP, Cache-Control, X-Frame-Options and every Set-Cookie", async () => {
    const response = await vault.proxyRequest("GET", `${world.api.baseUrl}/headers`, { grantId });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe("sandbox");
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(response.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(response.headers.getSetCookie()).toStrictEqual(["a=1; Path=/", "b=2; Path=/"]);
    expect(await response.text()).toBe("provider headers");
    // The vault's own answers keep its security headers.
    const refused = await rawProxy({ "grantvault-forward-": "x" });
    expect(refused.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(refused.headers.get("cache-control")).toBe("no-store");
  });
});

describe("SDK hardening", () => {
  it("F20a: plain http to a non-loopback vault is refused unless explicitly allowed", () => {
    const saved = process.env.GRANTVAULT_ALLOW_INSECURE_HTTP;
    delete process.env.GRANTVAULT_ALLOW_INSECURE_HTTP;
    try {
      expect(() => new Vault({ apiKey: "gv_x", baseUrl: "http://vault.example:7400" })).toThrow(
        VaultValueError,
      );
      expect(() => new Vault({ apiKey: "gv_x", baseUrl: "http://10.0.0.5" })).toThrow(/cleartext/);
      // https, loopback, and an explicit opt-in are accepted.
      new Vault({ apiKey: "gv_x", baseUrl: "https://vault.example" });
      new Vault({ apiKey: "gv_x", baseUrl: "http://localhost:7400" });
      new Vault({ apiKey: "gv_x", baseUrl: "http://[::1]:7400" });
      new Vault({ apiKey: "gv_x", baseUrl: "http://vault.example", allowInsecureHttp: true });
      process.env.GRANTVAULT_ALLOW_INSECURE_HTTP = "1";
      new Vault({ apiKey: "gv_x", baseUrl: "http://vault.example" });
      expect(
        () => new Vault({ apiKey: "gv_x", baseUrl: "http://vault.example", allowInsecureHttp: false }),
      ).toThrow(VaultValueError);
    } finally {
      if (saved === undefined) delete process.env.GRANTVAULT_ALLOW_INSECURE_HTTP;
      else process.env.GRANTVAULT_ALLOW_INSECURE_HTTP = saved;
    }
  });

  it("F20b: a connect link on another origin than the vault's is neither printed nor opened", async () => {
    // The vault's links are on 127.0.0.1; this client knows it as localhost: another origin.
    const port = new URL(world.baseUrl).port;
    const elsewhere = new Vault({ apiKey: world.apiKey, baseUrl: `http://localhost:${port}` });
    const opened: string[] = [];
    const printed: string[] = [];
    const call = elsewhere.connect({
      providers: ["octo"],
      openUrl: (url) => void opened.push(url),
      print: (text) => void printed.push(text),
    });
    await expect(call).rejects.toBeInstanceOf(ConnectFlowError);
    await expect(call).rejects.toThrow(/another origin/);
    expect(opened).toStrictEqual([]);
    expect(printed.join("")).not.toContain("gvcs_");

    // With the vault's public URL named, the same link is shown.
    const proxied = new Vault({
      apiKey: world.apiKey,
      baseUrl: `http://localhost:${port}`,
      publicUrl: world.baseUrl,
    });
    const stop = new AbortController();
    const waiting = proxied.connect({
      providers: ["octo"],
      openUrl: (url) => {
        opened.push(url);
        stop.abort(new Error("stop waiting"));
      },
      print: () => {},
      signal: stop.signal,
    });
    await expect(waiting).rejects.toThrow("stop waiting");
    expect(opened).toHaveLength(1);
    expect(opened[0]?.startsWith(`${world.baseUrl}/`)).toBe(true);
  });

  it("F22: a connect link printed in CI comes with a bearer-link warning", async () => {
    const saved = process.env.CI;
    try {
      for (const ci of ["true", undefined]) {
        if (ci === undefined) delete process.env.CI;
        else process.env.CI = ci;
        const printed: string[] = [];
        const stop = new AbortController();
        const waiting = vault.connect({
          providers: ["octo"],
          openBrowser: false,
          print: (text) => void printed.push(text),
          onWaiting: () => stop.abort(new Error("stop waiting")),
          signal: stop.signal,
        });
        await expect(waiting).rejects.toThrow("stop waiting");
        expect(printed.join("")).toContain("Confirmation code");
        if (ci) expect(printed.join("")).toMatch(/bearer link/);
        else expect(printed.join("")).not.toMatch(/bearer link/);
      }
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });

  it("item 11: an unknown provider passed to connect() is a ConnectConfigError", async () => {
    const call = vault.connect({ providers: ["no-such-provider"], openBrowser: false, print: () => {} });
    await expect(call).rejects.toBeInstanceOf(ConnectConfigError);
    await expect(call).rejects.toMatchObject({ code: "unknown_provider" });
  });

  it("F20f: CLI tables strip terminal escapes and other control characters from provider strings", () => {
    const table = formatTable([
      ["ACCOUNT", "STATUS"],
      ["evil\u001b]0;owned\u0007@example.com", "line\nbreak\u009b2J\u202eright"],
    ]);
    expect(table.split("\n")[1]).toBe("evil]0;owned@example.com  line break2Jright");
  });
});
