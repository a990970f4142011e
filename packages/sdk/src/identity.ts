import type {
  AuthSessionResponse,
  CreateAuthSessionResponse,
  VerifyUserTokenResponse,
} from "@grantvault/protocol";
import { type ConnectOptions, checkWaiting, presentLink, waitForSession } from "./connect.js";
import { ConnectDeniedError, ConnectFlowError, ConnectTimeoutError, VaultValueError } from "./errors.js";
import type { VaultHttp } from "./http.js";

export type AuthenticateOptions = Pick<
  ConnectOptions,
  "timeout" | "pollInterval" | "openBrowser" | "openUrl" | "print" | "signal" | "onWaiting"
>;

/** Who signed in: the user token (an ID token, a JWT) and the identity provider's claims. */
export interface AuthResult {
  userToken: string;
  userInfo: Record<string, unknown>;
}

/** See `Vault.authenticate()`. */
export async function authenticate(
  http: VaultHttp,
  options: AuthenticateOptions = {},
  linkOrigins: readonly string[] = [new URL(http.baseUrl).origin],
): Promise<AuthResult> {
  const timeout = options.timeout ?? 300_000;
  const pollInterval = options.pollInterval ?? 2_000;
  checkWaiting(timeout, pollInterval);
  const deadline = Date.now() + timeout;
  const print = options.print ?? ((text: string) => void process.stderr.write(text));
  const session = await http.call<CreateAuthSessionResponse>("POST", "/v1/auth/sessions", {
    body: {},
    ...(options.signal ? { signal: options.signal } : {}),
  });
  await presentLink(
    "To sign in",
    { url: session.sign_in_url, confirmationCode: session.confirmation_code, origins: linkOrigins },
    options,
    print,
  );
  const final = await waitForSession<AuthSessionResponse>(
    http,
    `/v1/auth/sessions/${encodeURIComponent(session.session_id)}`,
    deadline,
    pollInterval,
    options.signal,
  );
  if (final.status === "completed" && final.user_token) {
    return { userToken: final.user_token, userInfo: final.user_info ?? {} };
  }
  if (final.status === "expired") {
    throw new ConnectTimeoutError("connect_timeout", "The sign-in session expired before the user finished.");
  }
  const code = final.error?.code ?? "provider_error";
  const message = final.error?.message ?? "The sign-in failed.";
  if (code === "access_denied") throw new ConnectDeniedError(code, message);
  throw new ConnectFlowError(code as "provider_error", message);
}

/** See `Vault.verifyUserToken()`. */
export async function verifyUserToken(http: VaultHttp, token: string): Promise<string | null> {
  if (typeof token !== "string" || token === "") {
    throw new VaultValueError("invalid_argument", "token must be a non-empty string (a user token)");
  }
  const { subject } = await http.call<VerifyUserTokenResponse>("POST", "/v1/identity/verify", {
    body: { user_token: token },
  });
  return subject;
}
