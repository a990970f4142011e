import type { Browser } from "playwright-core";
import { newPage } from "./browser.js";
import { completeConnectFlow } from "./connect-flow.js";
import type { ConnectWorld } from "./connect-world.js";

/**
 * Connects `login`'s account at `provider` for real — connect session, Connect page, provider
 * login and consent in Chromium, callback — and returns the new (or re-authorized) grant id.
 * `world` may be any vault: its URL and an API key are all it takes.
 */
export async function connectAccount(
  world: Pick<ConnectWorld, "baseUrl" | "apiKey">,
  browser: Browser,
  provider: string,
  login: string,
  grantPolicy?: { max_ttl_seconds?: number; default_ttl_seconds?: number },
): Promise<string> {
  const headers = { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" };
  const created = await fetch(`${world.baseUrl}/v1/connect/sessions`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      allowed_providers: [provider],
      ...(grantPolicy ? { grant_policy: grantPolicy } : {}),
    }),
  });
  const session = (await created.json()) as { connect_url: string; session_id: string };
  const page = await newPage(browser);
  try {
    const flow = await completeConnectFlow(page, session.connect_url, { provider, login });
    if (flow.result !== "success") throw new Error(`connect flow ended with ${flow.result}: ${flow.text}`);
  } finally {
    await page.context().close();
  }
  const done = await fetch(`${world.baseUrl}/v1/connect/sessions/${session.session_id}?wait=10`, { headers });
  const body = (await done.json()) as { results: { grant_id: string }[] | null };
  const grantId = body.results?.[0]?.grant_id;
  if (!grantId) throw new Error(`session ${session.session_id} has no result`);
  return grantId;
}
