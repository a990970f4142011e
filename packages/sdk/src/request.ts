import {
  type CredentialResponse,
  idProblem,
  PROXY_HEADERS,
  type ResolveGrantResponse,
  type RetryInfoBody,
} from "@grantvault/protocol";
import { errorFromResponse, NetworkError, VaultValueError } from "./errors.js";
import type { VaultHttp } from "./http.js";
import { PROVIDER_USER_AGENT, type StreamTransport } from "./transport.js";

export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

export interface RequestOptions {
  /** The grant whose account the call acts for; or name a `provider` and a signed-in user. */
  grantId?: string;
  /** With a user token: that user's grant for this provider is used. */
  provider?: string;
  /** With `provider`: the account, when the user connected several. */
  account?: string;
  /** The signed-in user (from `authenticate()`); the grant must be theirs. */
  userToken?: string;
  /** A JSON body (sets `content-type: application/json`). */
  json?: unknown;
  /** A raw body (string, bytes, form data…); not together with `json`. */
  body?: RequestInit["body"];
  /** Appended to the URL's query string; null and undefined values are skipped. */
  queryParams?: Record<string, QueryValue>;
  /** Fills `{name}` placeholders in the URL, URL-encoded. */
  pathParams?: Record<string, string | number>;
  /** More headers for the provider. `Authorization` and `Cookie` are refused: the vault injects the credential. */
  extraHeaders?: Record<string, string>;
  /** Why the call is made (recorded in the audit log). */
  reason?: string;
  /** Free-form facts about the caller (recorded in the audit log). */
  context?: Record<string, string | number | boolean | null>;
  signal?: AbortSignal;
}

/** Set when the vault refreshed the grant's token for this call. */
export interface RetryInfo {
  /** Refresh requests the provider got (failures are retried; 0: a concurrent caller's refresh was used). */
  refreshAttempts: number;
}

/** The provider's response, plus what the vault did to make the call possible. */
export type VaultResponse = Response & { readonly retryInfo: RetryInfo | null };

function withRetryInfo(response: Response, info: RetryInfoBody | null): VaultResponse {
  Object.defineProperty(response, "retryInfo", {
    value: info ? { refreshAttempts: info.refresh_attempts } : null,
    enumerable: true,
  });
  return response as VaultResponse;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const REFUSED_HEADERS = new Set(["authorization", "cookie", "proxy-authorization", "x-api-key"]);

/**
 * Retrieve mode: asks the vault for the credential headers of this one call (after its checks),
 * then makes the call itself (`provider`: a client that never carries the vault API key). The
 * credential lives only inside this function.
 */
export async function request(
  http: VaultHttp,
  provider: StreamTransport,
  method: string,
  url: string,
  options: RequestOptions,
): Promise<VaultResponse> {
  const { verb, headers, target } = prepare(method, url, options);

  const credential = await http.call<CredentialResponse>("POST", `/v1/grants/${options.grantId}/credential`, {
    body: {
      method: verb,
      url: target,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(options.userToken === undefined ? {} : { user_token: options.userToken }),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for (const [name, value] of Object.entries(credential.headers)) headers.set(name, value);
  if (!headers.has("user-agent")) headers.set("user-agent", PROVIDER_USER_AGENT);
  const body = bodyOf(options, headers);
  // Exactly the URL the vault approved (F9); a vault from before it said so approved `target`.
  const approved = credential.url ?? target;
  let response: Response;
  try {
    response = await provider(approved, {
      method: verb,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason;
    // As the Python SDK reports it; the cause says why (refused, reset, TLS…).
    throw new NetworkError("network_error", `cannot reach ${new URL(approved).host}`, { cause });
  }
  return withRetryInfo(response, credential.retry_info ?? null);
}

/**
 * Proxy mode: the vault makes the call with the token, which never reaches this process. The
 * answer is the provider's (status, headers, streamed body), or the vault's error as a VaultError.
 */
export async function proxyRequest(
  http: VaultHttp,
  method: string,
  url: string,
  options: RequestOptions,
): Promise<VaultResponse> {
  const { verb, headers: forward, target } = prepare(method, url, options);
  const body = bodyOf(options, forward);
  const headers = new Headers({ [PROXY_HEADERS.method]: verb, [PROXY_HEADERS.url]: target });
  if (options.reason !== undefined) headers.set(PROXY_HEADERS.reason, options.reason);
  if (options.context !== undefined) headers.set(PROXY_HEADERS.context, JSON.stringify(options.context));
  if (options.userToken !== undefined) headers.set(PROXY_HEADERS.userToken, options.userToken);
  for (const [name, value] of forward) headers.set(`${PROXY_HEADERS.forwardPrefix}${name}`, value);
  if (body !== undefined) headers.set("content-type", "application/octet-stream");
  const response = await http.send("POST", `/v1/grants/${options.grantId}/proxy`, {
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.headers.get(PROXY_HEADERS.proxied) === "1") {
    const retryInfo = response.headers.get(PROXY_HEADERS.retryInfo);
    return withRetryInfo(response, retryInfo ? (JSON.parse(retryInfo) as RetryInfoBody) : null);
  }
  throw errorFromResponse(response.status, await response.json().catch(() => null));
}

function bodyOf(options: RequestOptions, headers: Headers): RequestInit["body"] | undefined {
  if (options.json === undefined) return options.body;
  headers.set("content-type", "application/json");
  return JSON.stringify(options.json);
}

/** Validates the call and builds its headers and URL, before anything goes over the network. */
function prepare(
  method: string,
  url: string,
  options: RequestOptions,
): { verb: string; headers: Headers; target: string } {
  const verb = method.toUpperCase();
  if (!METHODS.has(verb))
    throw new VaultValueError("invalid_argument", `unsupported method ${JSON.stringify(method)}`);
  if (!options || options.grantId === undefined) {
    throw new VaultValueError(
      "invalid_argument",
      "grantId is required (a `grant_…` id from connect()), or provider with a user token",
    );
  }
  // Told apart from a missing one: a value was given, and the message says what is wrong with it.
  const problem = idProblem("grant", options.grantId);
  if (problem !== null) throw new VaultValueError("invalid_argument", `grantId: ${problem}`);
  if (options.json !== undefined && options.body !== undefined) {
    throw new VaultValueError("invalid_argument", "pass json or body, not both");
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(options.extraHeaders ?? {})) {
    if (REFUSED_HEADERS.has(name.toLowerCase())) {
      throw new VaultValueError(
        "invalid_argument",
        `the ${name} header is set by the vault, not by the caller`,
      );
    }
    headers.set(name, value);
  }
  return { verb, headers, target: buildUrl(url, options.pathParams, options.queryParams) };
}

/** Fills `{placeholders}` (URL-encoded) and appends query parameters. */
export function buildUrl(
  url: string,
  pathParams: Record<string, string | number> = {},
  queryParams: Record<string, QueryValue> = {},
): string {
  const filled = url.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_match, name: string) => {
    const value = pathParams[name];
    if (value === undefined) throw new VaultValueError("invalid_argument", `pathParams.${name} is missing`);
    const text = String(value);
    // encodeURIComponent leaves `.` and `..` as they are, and URL parsing then resolves them:
    // `repos/octocat/{repo}/issues` with repo ".." would call `/repos/issues` (F10).
    if (text === "" || text === "." || text === "..") {
      throw new VaultValueError(
        "invalid_argument",
        `pathParams.${name} may not be empty, "." or ".." (it would change which path is called)`,
      );
    }
    return encodeURIComponent(text);
  });
  if (!URL.canParse(filled)) throw new VaultValueError("invalid_argument", `not an absolute URL: ${filled}`);
  const target = new URL(filled);
  for (const [name, value] of Object.entries(queryParams)) {
    if (value === null || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) target.searchParams.append(name, String(item));
  }
  return target.toString();
}

/**
 * JWT identity: the grant to use when the call names a provider and a signed-in user instead of a
 * grant id. A call that names a grant id carries the getter's user too, when there is one (F6: a
 * grant bound to a user is usable only with that user's token).
 */
export async function withResolvedGrant(
  http: VaultHttp,
  options: RequestOptions,
  userTokenGetter: (() => string | Promise<string>) | undefined,
): Promise<RequestOptions & { grantId: string }> {
  if (options?.grantId !== undefined) {
    const userToken = options.userToken ?? (await userTokenGetter?.());
    const withUser = typeof userToken === "string" && userToken !== "" ? { ...options, userToken } : options;
    return withUser as RequestOptions & { grantId: string };
  }
  if (options?.provider === undefined) return options as RequestOptions & { grantId: string };
  const userToken = options.userToken ?? (await userTokenGetter?.());
  if (typeof userToken !== "string" || userToken === "") {
    throw new VaultValueError(
      "invalid_argument",
      "provider needs a signed-in user: pass userToken (from authenticate()) or a userTokenGetter",
    );
  }
  const { grant_id } = await http.call<ResolveGrantResponse>("POST", "/v1/grants/resolve", {
    body: {
      provider: options.provider,
      user_token: userToken,
      ...(options.account === undefined ? {} : { account: options.account }),
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { ...options, grantId: grant_id, userToken };
}
