import type {
  ConnectSessionResponse,
  CreateConnectSessionRequest,
  CreateConnectSessionResponse,
} from "@grantvault/protocol";
import { canOpenBrowser, openInBrowser } from "./browser.js";
import {
  ConnectConfigError,
  ConnectDeniedError,
  ConnectFlowError,
  ConnectTimeoutError,
  NetworkError,
  VaultError,
  VaultValueError,
} from "./errors.js";
import type { VaultHttp } from "./http.js";
import { checkLinkOrigin, ciLinkWarning } from "./link-origin.js";

/** Limits on the grant `connect()` creates. */
export interface GrantPolicy {
  /** The grant may not live longer than this many seconds. */
  maxTtlSeconds?: number;
  /** The grant's lifetime in seconds (at most maxTtlSeconds). */
  defaultTtlSeconds?: number;
}

export interface ConnectOptions {
  /** Provider ids the user may pick from; all the vault offers when omitted. */
  providers?: string[];
  grantPolicy?: GrantPolicy;
  /**
   * Per provider, its per-connection parameters (`{ corp: { tenant: "acme" } }`): a tenant, a
   * shop, a region its URLs need. Parameters not given are asked for on the Connect page.
   */
  connectionParams?: ConnectionParams;
  /** Milliseconds to wait for the user; default 300000 (5 minutes). */
  timeout?: number;
  /** Milliseconds between status checks when the vault cannot hold a request open; default 2000. */
  pollInterval?: number;
  /** Open the default browser (when one can be reached); default true. The URL is printed either way. */
  openBrowser?: boolean;
  /** Your own way to show the URL (e.g. a notebook link); replaces opening the browser. */
  openUrl?: (url: string) => void | Promise<void>;
  /** Where the URL and confirmation code are printed; default standard error. */
  print?: (text: string) => void;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Called once the session exists and the link is shown (for progress displays). */
  onWaiting?: (info: { connectUrl: string; confirmationCode: string; browserOpened: boolean }) => void;
}

/** Provider id → parameter name → value. */
export type ConnectionParams = Record<string, Record<string, string>>;

/** One connected account. Keep `grantId`: it is how you use the account later. */
export interface ConnectResult {
  grantId: string;
  providerId: string;
  accountIdentifier: string;
  scopes: string[];
  grantPolicy: GrantPolicy | null;
}

/** The longest the SDK asks the vault to hold one status request (the vault allows 30 s). */
const LONG_POLL_SECONDS = 25;
const PROVIDER_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** See `Vault.connect()`. */
export async function connect(
  http: VaultHttp,
  options: ConnectOptions = {},
  linkOrigins: readonly string[] = [new URL(http.baseUrl).origin],
): Promise<ConnectResult[]> {
  const timeout = options.timeout ?? 300_000;
  const pollInterval = options.pollInterval ?? 2_000;
  const request = connectRequest(options, timeout, pollInterval);
  const deadline = Date.now() + timeout;
  const print = options.print ?? ((text: string) => void process.stderr.write(text));

  const session = await createSession(http, request, options.signal);
  await presentLink(
    "To connect an account",
    { url: session.connect_url, confirmationCode: session.confirmation_code, origins: linkOrigins },
    options,
    print,
  );
  const final = await waitForSession<ConnectSessionResponse>(
    http,
    `/v1/connect/sessions/${encodeURIComponent(session.session_id)}`,
    deadline,
    pollInterval,
    options.signal,
  );
  return resultsOf(final);
}

/**
 * The connect session; a provider the vault does not have (or a vault with none) is the
 * operator's configuration, not a bad argument: `ConnectConfigError` (item 11).
 */
async function createSession(
  http: VaultHttp,
  request: CreateConnectSessionRequest,
  signal: AbortSignal | undefined,
): Promise<CreateConnectSessionResponse> {
  try {
    return await http.call<CreateConnectSessionResponse>("POST", "/v1/connect/sessions", {
      body: request,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (
      error instanceof VaultError &&
      (error.code === "unknown_provider" || error.code === "no_providers_configured")
    ) {
      throw new ConnectConfigError(error.code, error.message, {
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.issues === undefined ? {} : { issues: error.issues }),
        cause: error,
      });
    }
    throw error;
  }
}

/** Argument errors before any network call. */
export function checkWaiting(timeout: number, pollInterval: number): void {
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new VaultValueError("invalid_argument", "timeout must be a positive number of milliseconds");
  }
  if (!Number.isFinite(pollInterval) || pollInterval < 100) {
    throw new VaultValueError("invalid_argument", "pollInterval must be at least 100 milliseconds");
  }
}

function connectRequest(
  options: ConnectOptions,
  timeout: number,
  pollInterval: number,
): CreateConnectSessionRequest {
  checkWaiting(timeout, pollInterval);
  if (options.providers !== undefined) {
    if (!Array.isArray(options.providers) || options.providers.length === 0) {
      throw new VaultValueError("invalid_argument", "providers must be a non-empty array of provider ids");
    }
    const bad = options.providers.filter((id) => typeof id !== "string" || !PROVIDER_ID.test(id));
    if (bad.length > 0) throw new VaultValueError("invalid_argument", `not provider ids: ${bad.join(", ")}`);
  }
  return {
    ...(options.providers ? { allowed_providers: options.providers } : {}),
    ...grantPolicyBody(options.grantPolicy),
    ...connectionParamsBody(options.connectionParams),
  };
}

/** The wire form of connection parameters, checked for shape (the vault checks the values). */
export function connectionParamsBody(
  params: ConnectionParams | undefined,
): Pick<CreateConnectSessionRequest, "connection_params"> {
  if (params === undefined) return {};
  const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
  const valid =
    isObject(params) &&
    Object.values(params).every(
      (values) => isObject(values) && Object.values(values).every((value) => typeof value === "string"),
    );
  if (!valid) {
    throw new VaultValueError(
      "invalid_argument",
      "connectionParams must map provider ids to { parameter: string value } objects",
    );
  }
  return { connection_params: params };
}

/** The wire form of a grant policy, checked. */
export function grantPolicyBody(
  policy: GrantPolicy | undefined,
): Pick<CreateConnectSessionRequest, "grant_policy"> {
  for (const [name, value] of Object.entries(policy ?? {})) {
    if (value !== undefined && (!Number.isInteger(value) || value < 60)) {
      throw new VaultValueError(
        "invalid_argument",
        `grantPolicy.${name} must be a whole number of seconds ≥ 60`,
      );
    }
  }
  if (!policy) return {};
  return {
    grant_policy: {
      ...(policy.maxTtlSeconds === undefined ? {} : { max_ttl_seconds: policy.maxTtlSeconds }),
      ...(policy.defaultTtlSeconds === undefined ? {} : { default_ttl_seconds: policy.defaultTtlSeconds }),
    },
  };
}

/**
 * Prints the link and the confirmation code, opens the link where it can, and tells `onWaiting`:
 * the user's side of every headless flow (connect, sign-in).
 */
export async function presentLink(
  purpose: string,
  link: { url: string; confirmationCode: string; origins: readonly string[] },
  options: Pick<ConnectOptions, "openUrl" | "openBrowser" | "onWaiting">,
  print: (text: string) => void,
): Promise<void> {
  checkLinkOrigin(link.url, link.origins);
  print(
    `${purpose}, open this link in your browser:\n\n  ${link.url}\n\n` +
      `Confirmation code: ${link.confirmationCode} (the page shows the same code)\n`,
  );
  const warning = ciLinkWarning();
  if (warning) print(warning);
  const browserOpened = await showLink(link.url, options, print);
  options.onWaiting?.({ connectUrl: link.url, confirmationCode: link.confirmationCode, browserOpened });
}

/** Opens the link (or hands it to `openUrl`); true when something was opened. */
async function showLink(
  url: string,
  options: Pick<ConnectOptions, "openUrl" | "openBrowser">,
  print: (text: string) => void,
): Promise<boolean> {
  if (options.openUrl) {
    try {
      await options.openUrl(url);
      return true;
    } catch (error) {
      print(`Could not open the link (${(error as Error).message}); open it yourself.\n`);
      return false;
    }
  }
  if (options.openBrowser === false || !canOpenBrowser()) return false;
  const opened = await openInBrowser(url);
  if (!opened) print("Could not open a browser here; open the link above yourself.\n");
  return opened;
}

/**
 * Waits for the session to leave `pending`: long-polls (the vault answers the moment it changes);
 * falls back to fixed polling every `pollInterval` when answers come back early. Network errors
 * are retried until the deadline.
 */
export async function waitForSession<T extends { status: string }>(
  http: VaultHttp,
  sessionPath: string,
  deadline: number,
  pollInterval: number,
  signal: AbortSignal | undefined,
): Promise<T> {
  let failures = 0;
  for (;;) {
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timeoutError();
    const wait = Math.max(0, Math.min(LONG_POLL_SECONDS, Math.floor(remaining / 1000)));
    const askedAt = Date.now();
    try {
      const session = await http.call<T>("GET", `${sessionPath}?wait=${wait}`, {
        ...(signal ? { signal } : {}),
        // The vault holds the answer up to `wait`: the HTTP timeout starts after it.
        waitMs: wait * 1000,
      });
      failures = 0;
      if (session.status !== "pending") return session;
      // An early "pending" means the vault did not hold the request: poll at a fixed pace instead.
      if (Date.now() - askedAt < (wait * 1000) / 2)
        await sleep(Math.min(pollInterval, deadline - Date.now()), signal);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      failures++;
      await sleep(
        Math.min(pollInterval * 2 ** Math.min(failures - 1, 4), Math.max(0, deadline - Date.now())),
        signal,
      );
    }
  }
}

function resultsOf(session: ConnectSessionResponse): ConnectResult[] {
  switch (session.status) {
    case "completed":
      return (session.results ?? []).map((result) => ({
        grantId: result.grant_id,
        providerId: result.provider_id,
        accountIdentifier: result.account_identifier,
        scopes: result.scopes,
        grantPolicy: result.grant_policy
          ? {
              ...(result.grant_policy.max_ttl_seconds === undefined
                ? {}
                : { maxTtlSeconds: result.grant_policy.max_ttl_seconds }),
              ...(result.grant_policy.default_ttl_seconds === undefined
                ? {}
                : { defaultTtlSeconds: result.grant_policy.default_ttl_seconds }),
            }
          : null,
      }));
    case "expired":
      throw new ConnectTimeoutError(
        "connect_timeout",
        "The connect session expired before the user finished.",
      );
    default: {
      const code = session.error?.code ?? "provider_error";
      const message = session.error?.message ?? "The connection failed.";
      if (code === "access_denied") throw new ConnectDeniedError(code, message);
      if (code === "provider_config") throw new ConnectConfigError(code, message);
      throw new ConnectFlowError(code, message);
    }
  }
}

export function timeoutError(): ConnectTimeoutError {
  return new ConnectTimeoutError("connect_timeout", "The user did not finish connecting before the timeout.");
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
