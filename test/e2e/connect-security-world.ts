import { createHash } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser, newPage } from "../harness/browser.js";
import { type ConnectAction, type ConnectFlowResult, completeConnectFlow } from "../harness/connect-flow.js";
import { createTestDatabase, type TestDatabase } from "../harness/postgres.js";
import {
  driveToCallback,
  fetchPage,
  type HeldCallback,
  type SecurityWorld,
  startSecurityWorld,
} from "./support.js";

/*
 * What the connect-security tests (`connect-security-*.test.ts`) share. They check the security
 * properties of headless connect (DESIGN.md §2 "Headless connect", §4), end to end: a real vault on
 * loopback, a real authorization server, headless Chromium. Each test uses its own login at the
 * provider, so grants of different tests never meet.
 */

export let world: SecurityWorld;
/** For the races, which PostgreSQL runs truly concurrently (separate connections). */
export let postgresWorld: SecurityWorld;
let database: TestDatabase | undefined;
export let browser: Browser;

/**
 * Starts the calling file's world (SQLite) and browser, and with `postgres` a second world on
 * PostgreSQL for the races; stops them after the file's tests.
 */
export function useSecurityWorlds(options: { postgres: boolean }): void {
  beforeAll(async () => {
    if (options.postgres) {
      database = await createTestDatabase();
      [world, postgresWorld, browser] = await Promise.all([
        startSecurityWorld(),
        startSecurityWorld({ databaseUrl: database.url }),
        launchBrowser(),
      ]);
    } else {
      [world, browser] = await Promise.all([startSecurityWorld(), launchBrowser()]);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await world?.stop();
    await postgresWorld?.stop();
    await database?.drop();
  });
}

/** Runs a whole flow in a fresh browser context; `onPage` may watch the page before it starts. */
export async function runFlow(
  connectUrl: string,
  options: { provider: string; login: string; action?: ConnectAction },
  onPage?: (page: Page) => void,
): Promise<ConnectFlowResult & { html: string }> {
  const page = await newPage(browser);
  try {
    onPage?.(page);
    const flow = await completeConnectFlow(page, connectUrl, options);
    return { ...flow, html: await page.content() };
  } finally {
    await page.context().close();
  }
}

/** Runs a flow up to the provider's redirect, which is kept from the vault and returned. */
export async function callbackOf(
  connectUrl: string,
  provider: string,
  login: string,
  w: SecurityWorld = world,
): Promise<HeldCallback> {
  const page = await newPage(browser);
  try {
    return await driveToCallback(page, connectUrl, { provider, login, baseUrl: w.baseUrl });
  } finally {
    await page.context().close();
  }
}

export function grantsOf(accountIdentifier: string, w: SecurityWorld = world) {
  return w.vault.store.db
    .selectFrom("grants")
    .selectAll()
    .where("app_id", "=", w.appId)
    .where("account_identifier", "=", accountIdentifier)
    .execute();
}

export async function allGrants() {
  return world.vault.store.db.selectFrom("grants").selectAll().orderBy("id").execute();
}

export async function allCredentials() {
  return world.vault.store.db.selectFrom("credentials").selectAll().orderBy("grant_id").execute();
}

/** The stored row of an OAuth `state` (kept as its SHA-256), if it is still there to be used. */
export async function stateRows(callbackUrl: string, w: SecurityWorld = world) {
  const state = new URL(callbackUrl).searchParams.get("state") ?? "";
  return w.vault.store.db
    .selectFrom("oauth_states")
    .selectAll()
    .where("state_hash", "=", createHash("sha256").update(state).digest("hex"))
    .execute();
}

export function formPost(url: string, fields: Record<string, string>, origin: string) {
  return fetchPage(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin },
    body: new URLSearchParams(fields).toString(),
  });
}
