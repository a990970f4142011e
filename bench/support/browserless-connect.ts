import {
  decodeEntities,
  formBody,
  type HtmlControl,
  type HtmlForm,
  hiddenValue,
  parseForms,
} from "./html-forms.js";
import { type LoadedPage, UserAgent } from "./user-agent.js";

export interface BrowserlessConnectOptions {
  /** The provider button to press on the Connect page (`data-provider`). */
  provider: string;
  /** The devInteractions login; the provider makes it the account id. */
  login: string;
  signal: AbortSignal;
}

export interface BrowserlessConnectResult {
  /** `performance.now()` once the vault's answer to the OAuth callback had been fully received. */
  callbackDoneAt: number;
}

/** Login + consent, and a spare step in case the provider asks once more; then something is wrong. */
const MAX_PROVIDER_STEPS = 4;

/**
 * What a user does with a Connect link, without a browser: open the Connect page, press the
 * provider's button, sign in and consent on node-oidc-provider's devInteractions pages, and land
 * on the vault's callback, which must show the success page.
 */
export async function completeConnectBrowserless(
  connectUrl: string,
  options: BrowserlessConnectOptions,
): Promise<BrowserlessConnectResult> {
  const agent = new UserAgent(options.signal);
  const callbackPath = `/v1/oauth/callback/${options.provider}`;
  const connectPage = await agent.open(new URL(connectUrl));
  expectStatus(connectPage, 200, "the Connect page");
  const vaultOrigin = connectPage.url.origin;

  const { form, button } = providerButton(connectPage, options.provider);
  let page = await agent.submit(connectPage.url, form.method, form.action, formBody(form, {}, button));

  for (let step = 0; step < MAX_PROVIDER_STEPS && !isCallback(page, vaultOrigin, callbackPath); step++) {
    expectStatus(page, 200, "the provider's page");
    if (page.body.includes("data-provider-error")) {
      throw new Error(`the provider showed an error page at ${where(page.url)}: ${textOf(page.body)}`);
    }
    const forms = parseForms(page.body, page.url);
    const login = forms.find((candidate) => hiddenValue(candidate, "prompt") === "login");
    const consent = forms.find((candidate) => hiddenValue(candidate, "prompt") === "consent");
    if (login) {
      // devInteractions accepts any password.
      const body = formBody(login, { login: options.login, password: "any-password" });
      page = await agent.submit(page.url, login.method, login.action, body);
    } else if (consent) {
      page = await agent.submit(page.url, consent.method, consent.action, formBody(consent));
    } else {
      throw new Error(`neither a login nor a consent form at ${where(page.url)}`);
    }
  }

  if (!isCallback(page, vaultOrigin, callbackPath)) {
    throw new Error(`the provider did not send the browser back to the vault; stuck at ${where(page.url)}`);
  }
  expectStatus(page, 200, "the vault's callback");
  if (!page.body.includes('data-result="success"')) {
    throw new Error(`the vault's callback did not show success: ${textOf(page.body)}`);
  }
  return { callbackDoneAt: page.receivedAt };
}

function providerButton(page: LoadedPage, provider: string): { form: HtmlForm; button: HtmlControl } {
  for (const form of parseForms(page.body, page.url)) {
    const button = form.buttons.find((candidate) => candidate["data-provider"] === provider);
    if (button) return { form, button };
  }
  throw new Error(`no button for provider ${provider} on the Connect page ${where(page.url)}`);
}

function isCallback(page: LoadedPage, vaultOrigin: string, callbackPath: string): boolean {
  return page.url.origin === vaultOrigin && page.url.pathname === callbackPath;
}

function expectStatus(page: LoadedPage, status: number, what: string): void {
  if (page.status !== status) {
    throw new Error(`${what} answered ${page.status} at ${where(page.url)}: ${textOf(page.body)}`);
  }
}

/** A page's address for messages: without the query, which holds one-time codes and state. */
function where(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** A page's visible text, shortened, for error messages. */
function textOf(html: string): string {
  const markup = /<(script|style)\b[\s\S]*?<\/\1>|<[^>]+>/gi;
  const text = decodeEntities(html.replace(markup, " ")).replace(/\s+/g, " ").trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
