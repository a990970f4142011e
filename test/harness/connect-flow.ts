import type { Locator, Page } from "playwright-core";

/*
 * Selectors of oidc-provider's devInteractions pages (lib/views/{login,interaction,layout}.js):
 * - login:   <form action="/interaction/<uid>" method="post"> with hidden input[name=prompt][value=login],
 *            input[name=login], input[name=password], button[type=submit] "Sign-in"
 * - consent: the same form with hidden input[name=prompt][value=consent] and button[type=submit] "Continue"
 * - both:    a "[ Cancel ]" link <a href=".../interaction/<uid>/abort"> in .login-help; following it
 *            ends the request with error=access_denied ("End-User aborted interaction").
 */
export const DEV_INTERACTION_SELECTORS = {
  loginForm: 'form:has(input[name="prompt"][value="login"])',
  consentForm: 'form:has(input[name="prompt"][value="consent"])',
  loginInput: 'input[name="login"]',
  passwordInput: 'input[name="password"]',
  submit: 'button[type="submit"]',
  abortLink: 'a[href$="/abort"]',
  /** The harness provider's error page (its `renderError`), e.g. for invalid_request. */
  errorPage: "[data-provider-error]",
} as const;

/** Vault page conventions the Connect flow is driven by. */
export const CONNECT_PAGE_SELECTORS = {
  providerButton: (provider: string) => `[data-provider="${provider}"]`,
  cancel: '[data-action="cancel"]',
  confirmationCode: "[data-confirmation-code]",
  result: "[data-result]",
} as const;

export type ConnectAction = "approve" | "deny-at-provider" | "cancel-on-connect-page";
export type ConnectResult = "success" | "denied" | "error";

export interface LoginAndConsentOptions {
  login?: string;
  password?: string;
  /** `deny` follows the abort link on the consent page (after signing in). */
  action?: "approve" | "deny";
  /** The element that marks the end of the flow (the client's landing page); default `[data-result]`. */
  done?: string;
  timeoutMs?: number;
}

function textOf(content: string | null): string {
  return (content ?? "").replace(/\s+/g, " ").trim();
}

async function clickAndWaitForNavigation(page: Page, target: Locator, timeoutMs: number): Promise<void> {
  const navigated = page.waitForEvent("framenavigated", {
    predicate: (frame) => frame === page.mainFrame(),
    timeout: timeoutMs,
  });
  await target.click({ timeout: timeoutMs });
  await navigated;
}

/**
 * Drives the provider's devInteractions pages from wherever the page is now (typically just after
 * navigating to, or being redirected to, the authorization endpoint): signs in when asked, then
 * approves or denies consent, until the `done` element appears on the page the provider redirects to.
 * Login or consent pages that the provider skips (an existing session or grant) are skipped here too.
 */
export async function loginAndConsent(page: Page, options: LoginAndConsentOptions = {}): Promise<void> {
  const { login = "alice", password = "any-password", action = "approve", timeoutMs = 15_000 } = options;
  const s = DEV_INTERACTION_SELECTORS;
  const loginForm = page.locator(s.loginForm);
  const consentForm = page.locator(s.consentForm);
  const done = page.locator(options.done ?? CONNECT_PAGE_SELECTORS.result);
  const errorPage = page.locator(s.errorPage);

  for (let step = 0; step < 6; step++) {
    await loginForm.or(consentForm).or(done).or(errorPage).first().waitFor({ timeout: timeoutMs });
    if ((await done.count()) > 0) return;
    if ((await errorPage.count()) > 0) {
      throw new Error(
        `the provider showed an error page at ${page.url()}: ${textOf(await errorPage.textContent())}`,
      );
    }

    if ((await loginForm.count()) > 0) {
      await loginForm.locator(s.loginInput).fill(login);
      await loginForm.locator(s.passwordInput).fill(password);
      await clickAndWaitForNavigation(page, loginForm.locator(s.submit), timeoutMs);
    } else if (action === "deny") {
      await clickAndWaitForNavigation(page, page.locator(s.abortLink).first(), timeoutMs);
    } else {
      await clickAndWaitForNavigation(page, consentForm.locator(s.submit), timeoutMs);
    }
  }
  throw new Error(`the provider flow did not finish; stuck at ${page.url()}`);
}

export interface ConnectFlowOptions {
  /** The provider id of the button to press on the Connect page (`data-provider`). */
  provider: string;
  login?: string;
  action?: ConnectAction;
  timeoutMs?: number;
}

export interface ConnectFlowResult {
  result: ConnectResult;
  /** Text of the result element (`[data-result]`), whitespace collapsed. */
  text: string;
  /** URL of the result page. */
  url: string;
  /** The Connect page's confirmation code, when it showed one. */
  confirmationCode?: string;
}

/**
 * Opens the vault's hosted Connect page, picks the provider (or cancels), signs in and approves or
 * denies at the provider, and returns what the vault's result page (`[data-result]`) says.
 */
export async function completeConnectFlow(
  page: Page,
  connectUrl: string,
  options: ConnectFlowOptions,
): Promise<ConnectFlowResult> {
  const { provider, login = "alice", action = "approve", timeoutMs = 15_000 } = options;
  const c = CONNECT_PAGE_SELECTORS;

  await page.goto(connectUrl, { timeout: timeoutMs });
  const codeLocator = page.locator(c.confirmationCode).first();
  const confirmationCode =
    (await codeLocator.count()) > 0 ? textOf(await codeLocator.textContent()) || undefined : undefined;

  if (action === "cancel-on-connect-page") {
    await page.locator(c.cancel).first().click({ timeout: timeoutMs });
  } else {
    await page.locator(c.providerButton(provider)).first().click({ timeout: timeoutMs });
    await loginAndConsent(page, {
      login,
      action: action === "deny-at-provider" ? "deny" : "approve",
      done: c.result,
      timeoutMs,
    });
  }

  const resultElement = page.locator(c.result).first();
  await resultElement.waitFor({ timeout: timeoutMs });
  const result = await resultElement.getAttribute("data-result");
  if (result !== "success" && result !== "denied" && result !== "error") {
    throw new Error(`unexpected data-result=${JSON.stringify(result)} at ${page.url()}`);
  }
  return {
    result,
    text: textOf(await resultElement.textContent()),
    url: page.url(),
    ...(confirmationCode === undefined ? {} : { confirmationCode }),
  };
}
