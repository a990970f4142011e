import { sql } from "kysely";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostNotAllowedError, Vault } from "../../packages/sdk/src/index.js";
import { ApiKeyManagement, AuditLog, main as serverCli } from "../../packages/server/src/testing.js";
import { launchBrowser } from "../harness/browser.js";
import { connectAccount } from "../harness/connect-account.js";
import { type ConnectWorld, startConnectWorld } from "../harness/connect-world.js";

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

async function allRows(): Promise<string> {
  const rows = await world.vault.store.db.selectFrom("audit_events").selectAll().execute();
  return JSON.stringify(rows);
}

describe("audit log", () => {
  it("records the connect flow, each credential retrieval and each refusal, with the caller's reason and context", async () => {
    await vault.request("GET", `${world.api.baseUrl}/user?secret_query=s3cr3t`, {
      grantId,
      reason: "sync profile",
      context: { job: "nightly" },
    });
    await expect(vault.request("GET", "https://elsewhere.example/x", { grantId })).rejects.toBeInstanceOf(
      HostNotAllowedError,
    );
    const { events } = await vault.listAuditEvents();
    expect(events.map((event) => event.type)).toStrictEqual([
      "credential.refused",
      "credential.retrieved",
      "session.completed",
      "grant.created",
      "session.created",
    ]);
    const [refused, retrieved] = events;
    expect(retrieved).toMatchObject({
      grantId,
      providerId: "octo",
      outcome: "ok",
      apiKeyPrefix: world.apiKey.slice(0, 16),
      reason: "sync profile",
      context: { job: "nightly" },
      details: { method: "GET", host: new URL(world.api.baseUrl).host, path: "/user" },
    });
    expect(refused).toMatchObject({
      outcome: "refused",
      details: { code: "host_not_allowed", host: "elsewhere.example" },
    });
    // Chained newest to oldest.
    for (let i = 0; i + 1 < events.length; i++) expect(events[i]?.prevHash).toBe(events[i + 1]?.hash);
  });

  it("never stores a secret: no token, no API key, no query string", async () => {
    const response = await world.vault.app.inject({
      method: "POST",
      url: `/v1/grants/${grantId}/credential`,
      headers: { authorization: `Bearer ${world.apiKey}` },
      payload: { method: "GET", url: `${world.api.baseUrl}/user` },
    });
    const token = (response.json().headers.authorization as string).replace("Bearer ", "");
    const rows = await allRows();
    expect(rows).not.toContain(token);
    expect(rows).not.toContain(world.apiKey);
    expect(rows).not.toContain("s3cr3t");
  });

  it("filters and pages", async () => {
    const retrieved = await vault.listAuditEvents({ type: "credential.retrieved" });
    expect(retrieved.events.every((event) => event.type === "credential.retrieved")).toBe(true);
    const first = await vault.listAuditEvents({ limit: 2 });
    const second = await vault.listAuditEvents({ limit: 2, cursor: first.nextCursor as string });
    expect(second.events[0]?.seq).toBe((first.events[1]?.seq ?? 0) - 1);
  });

  it("another app sees none of it", async () => {
    // As the operator creates apps: its chain starts with app.created (F8).
    const other = await ApiKeyManagement.forStore(
      world.vault.store,
      world.vault.clock,
      world.vault.keys,
    ).createApp("other");
    const stranger = new Vault({ apiKey: other.apiKey.plaintext, baseUrl: world.baseUrl });
    // Only its own chain: its creation, none of the first app's events.
    expect((await stranger.listAuditEvents()).events.map((event) => event.type)).toStrictEqual([
      "api_key.created",
      "app.created",
    ]);
  });

  it("`audit verify` finds an edited row and a deleted row", async () => {
    const verify = async () => {
      let out = "";
      const code = await serverCli(
        ["audit", "verify", "--json"],
        { GRANTVAULT_DATA_DIR: world.vault.dataDir },
        {
          out: (text) => {
            out += text;
          },
          err: () => {},
        },
      );
      return {
        code,
        report: JSON.parse(out) as { ok: boolean; problems: { seq: number; problem: string }[] },
      };
    };
    expect(await verify()).toMatchObject({ code: 0, report: { ok: true } });

    const db = world.vault.store.db;
    await db.updateTable("audit_events").set({ reason: "nothing to see" }).where("seq", "=", 2).execute();
    const edited = await verify();
    expect(edited.code).toBe(1);
    expect(edited.report.problems).toContainEqual(
      expect.objectContaining({ seq: 2, problem: "was modified after it was written" }),
    );

    await db.deleteFrom("audit_events").where("seq", "=", 4).execute();
    const deleted = await new AuditLog(world.vault.store, world.vault.clock, world.vault.keys).verify();
    expect(deleted.problems).toContainEqual(
      expect.objectContaining({ seq: 5, problem: "events 4–4 are missing" }),
    );
  });

  it("fails closed: no audit row, no credential", async () => {
    await sql`alter table audit_events rename to audit_events_gone`.execute(world.vault.store.db);
    try {
      const response = await world.vault.app.inject({
        method: "POST",
        url: `/v1/grants/${grantId}/credential`,
        headers: { authorization: `Bearer ${world.apiKey}` },
        payload: { method: "GET", url: `${world.api.baseUrl}/user` },
      });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toStrictEqual({
        error: {
          code: "audit_unavailable",
          message:
            "The vault could not record this access in its audit log, so it refused it. Try again shortly.",
        },
      });
    } finally {
      await sql`alter table audit_events_gone rename to audit_events`.execute(world.vault.store.db);
    }
  });
});
