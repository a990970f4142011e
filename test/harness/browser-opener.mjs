#!/usr/bin/env node
// A stand-in web browser for tests: set BROWSER to this file's path and the SDK's real opener
// (`open` → its bundled `xdg-open`, which runs `$BROWSER <url>` when no desktop is detected)
// launches it with the Connect URL as its only argument. It drives headless Chromium through the
// vault's Connect page and the provider's devInteractions pages, like connect-flow.ts does.
//
// Environment:
//   GV_BROWSER_LOG       file to append the log to (stdio is discarded by the opener)
//   GV_BROWSER_PROVIDER  provider id of the button to press on the Connect page
//   GV_BROWSER_LOGIN     login name at the provider (default alice)
//   GV_BROWSER_ACTION    approve (default) | deny-at-provider | cancel-on-connect-page
//                        | ignore (do nothing, exit 0) | fail (do nothing, exit 1)
//   GV_BROWSER_TIMEOUT_MS  per-step timeout (default 15000)
//   CHROMIUM_PATH        default /usr/bin/chromium
//
// Exit status: 0 when the vault's result page ([data-result]) was reached (its value is logged as
// `result: <value>`), non-zero on any failure (logged first). xdg-open treats a non-zero status as
// "this browser failed" and runs the next BROWSER entry, then the whole list once more, so a
// failing run is logged twice.
import { appendFileSync, existsSync } from "node:fs";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const logFile = process.env.GV_BROWSER_LOG;
const provider = process.env.GV_BROWSER_PROVIDER ?? "";
const login = process.env.GV_BROWSER_LOGIN || "alice";
const action = process.env.GV_BROWSER_ACTION || "approve";
const timeout = Number(process.env.GV_BROWSER_TIMEOUT_MS) || 15_000;
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function log(message) {
  if (!logFile) return;
  try {
    appendFileSync(logFile, `${new Date().toISOString()} [browser-opener ${process.pid}] ${message}\n`);
  } catch {
    // Nowhere else to report to: stdio is discarded.
  }
}

function textOf(content) {
  return (content ?? "").replace(/\s+/g, " ").trim();
}

function isLoopbackUrl(raw) {
  const url = new URL(raw);
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) return true;
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function clickAndWaitForNavigation(page, target) {
  const navigated = page.waitForEvent("framenavigated", {
    predicate: (frame) => frame === page.mainFrame(),
    timeout,
  });
  await target.click({ timeout });
  await navigated;
}

// Same steps as loginAndConsent() in connect-flow.ts.
async function loginAndConsent(page, deny) {
  const loginForm = page.locator('form:has(input[name="prompt"][value="login"])');
  const consentForm = page.locator('form:has(input[name="prompt"][value="consent"])');
  const done = page.locator("[data-result]");
  const errorPage = page.locator("[data-provider-error]");

  for (let step = 0; step < 6; step++) {
    await loginForm.or(consentForm).or(done).or(errorPage).first().waitFor({ timeout });
    if ((await done.count()) > 0) return;
    if ((await errorPage.count()) > 0) {
      throw new Error(
        `the provider showed an error page at ${page.url()}: ${textOf(await errorPage.textContent())}`,
      );
    }
    if ((await loginForm.count()) > 0) {
      log(`signing in as ${login} at ${page.url()}`);
      await loginForm.locator('input[name="login"]').fill(login);
      await loginForm.locator('input[name="password"]').fill("any-password");
      await clickAndWaitForNavigation(page, loginForm.locator('button[type="submit"]'));
    } else if (deny) {
      log(`denying consent at ${page.url()}`);
      await clickAndWaitForNavigation(page, page.locator('a[href$="/abort"]').first());
    } else {
      log(`approving consent at ${page.url()}`);
      await clickAndWaitForNavigation(page, consentForm.locator('button[type="submit"]'));
    }
  }
  throw new Error(`the provider flow did not finish; stuck at ${page.url()}`);
}

async function drive(connectUrl) {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium not found at ${executablePath}: run apt-get install -y --no-install-recommends chromium`,
    );
  }
  // Imported here, not at the top: `ignore` and `fail` must exit within milliseconds, since the
  // opener's caller judges a quick non-zero exit as "not opened".
  const { chromium } = await import("playwright-core");
  log(`launching ${executablePath}`);
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) =>
      isLoopbackUrl(route.request().url()) ? route.continue() : route.abort("blockedbyclient"),
    );
    const page = await context.newPage();

    log(`opening ${connectUrl}`);
    await page.goto(connectUrl, { timeout });
    const code = page.locator("[data-confirmation-code]").first();
    if ((await code.count()) > 0) log(`confirmation code: ${textOf(await code.textContent())}`);

    if (action === "cancel-on-connect-page") {
      log("pressing cancel on the Connect page");
      await page.locator('[data-action="cancel"]').first().click({ timeout });
    } else {
      log(`choosing provider ${provider}`);
      await page.locator(`[data-provider="${provider}"]`).first().click({ timeout });
      await loginAndConsent(page, action === "deny-at-provider");
    }

    const resultElement = page.locator("[data-result]").first();
    await resultElement.waitFor({ timeout });
    const result = await resultElement.getAttribute("data-result");
    log(`result page at ${page.url()}: ${textOf(await resultElement.textContent())}`);
    log(`result: ${result}`);
  } finally {
    await browser.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  log(`started with ${JSON.stringify(args)} action=${action} provider=${provider} login=${login}`);
  const connectUrl = args.findLast((arg) => /^https?:\/\//i.test(arg));

  if (action === "ignore") {
    log("ignoring the URL (action=ignore)");
    return 0;
  }
  if (action === "fail") {
    log("failing on purpose (action=fail)");
    return 1;
  }
  if (!connectUrl) throw new Error("no http(s) URL among the arguments");
  if (!["approve", "deny-at-provider", "cancel-on-connect-page"].includes(action)) {
    throw new Error(`unknown GV_BROWSER_ACTION ${action}`);
  }
  if (action !== "cancel-on-connect-page" && !provider) throw new Error("GV_BROWSER_PROVIDER is not set");

  await drive(connectUrl);
  log("done");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
