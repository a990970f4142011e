import { ConnectFlowError, VaultValueError } from "./errors.js";

/** Loopback hosts, where plain http cannot be read on the network (local development and tests). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The API key and tokens travel to the vault in every call: over plain http they can be read on
 * the network. Refused unless the host is loopback or the caller opted in (F20a).
 */
export function checkVaultTransport(baseUrl: URL, allowInsecureHttp: boolean | undefined): void {
  if (baseUrl.protocol !== "http:" || isLoopbackHost(baseUrl.hostname)) return;
  if (allowInsecureHttp ?? process.env.GRANTVAULT_ALLOW_INSECURE_HTTP === "1") return;
  throw new VaultValueError(
    "invalid_argument",
    `baseUrl ${baseUrl.origin} is plain http to a non-loopback host: the API key would travel in cleartext. ` +
      "Use https, or pass { allowInsecureHttp: true } (or set GRANTVAULT_ALLOW_INSECURE_HTTP=1) if you must.",
  );
}

/**
 * The origins whose links the SDK prints and opens: the vault's own (`baseUrl`), and `publicUrl`
 * when the vault is reached through a proxy under another name.
 */
export function linkOrigins(baseUrl: string, publicUrl: string | undefined): string[] {
  const origins = [new URL(baseUrl).origin];
  if (publicUrl !== undefined) {
    if (!URL.canParse(publicUrl) || !/^https?:$/.test(new URL(publicUrl).protocol)) {
      throw new VaultValueError(
        "invalid_argument",
        `publicUrl must be an http(s) URL, got ${JSON.stringify(publicUrl)}`,
      );
    }
    origins.push(new URL(publicUrl).origin);
  }
  return origins;
}

/**
 * A connect or sign-in link is opened in the user's browser: only one on the vault's own origin
 * is (F20b). A vault answer pointing elsewhere (a compromised or misconfigured vault, a proxy
 * rewriting answers) would otherwise send the user, and the OS opener, anywhere.
 */
export function checkLinkOrigin(link: string, origins: readonly string[]): void {
  const origin = URL.canParse(link) ? new URL(link).origin : null;
  if (origin !== null && origins.includes(origin)) return;
  throw new ConnectFlowError(
    "unexpected_response",
    `the vault answered with a link on another origin (${origin ?? "not a URL"}, expected ${origins.join(" or ")}); ` +
      "not opened. If the vault's public URL differs from baseUrl, pass { publicUrl }.",
  );
}

/** Printing a bearer link into a CI log hands it to everyone who can read the log (F22). */
export function ciLinkWarning(env: Record<string, string | undefined> = process.env): string | null {
  const ci = env.CI;
  if (!ci || ci === "false" || ci === "0") return null;
  return (
    "Warning: this looks like CI (CI is set). The link above is a bearer link: whoever opens it first " +
    "completes the flow. Do not leave it in a shared log.\n"
  );
}
