import type { CreateConnectSessionRequest, CreateConnectSessionResponse } from "@grantvault/protocol";
import { type ConnectionParams, connectionParamsBody, type GrantPolicy, grantPolicyBody } from "./connect.js";
import type { VaultHttp } from "./http.js";

export interface CreateConnectSessionOptions {
  /** Provider ids the user may pick from; all the vault offers when omitted. */
  allowedProviders?: string[];
  /** Where the browser returns after a redirect-mode flow; its origin must be allowed for the app. */
  returnUrl?: string;
  /** The origin of the page that opens the Connect.js popup (`https://app.example.com`). */
  allowedOrigin?: string;
  grantPolicy?: GrantPolicy;
  /** Per provider, the scopes to ask for: a subset of what the operator configured. */
  requiredScopes?: Record<string, string[]>;
  /** Your own labels, kept with the session and in the audit log. */
  metadata?: Record<string, string>;
  /** The signed-in user (from `authenticate()`): the grant will be theirs. */
  userToken?: string;
  /** Per provider, its per-connection parameters (`{ corp: { tenant: "acme" } }`); others are asked on the page. */
  connectionParams?: ConnectionParams;
}

/** A session for a web flow: hand `sessionToken` to Connect.js, or send the browser to `connectUrl`. */
export interface ConnectSession {
  sessionId: string;
  sessionToken: string;
  connectUrl: string;
  confirmationCode: string;
  expiresAt: Date;
}

/** See `Vault.createConnectSession()`. */
export async function createConnectSession(
  http: VaultHttp,
  options: CreateConnectSessionOptions,
): Promise<ConnectSession> {
  const body: CreateConnectSessionRequest = {
    ...(options.allowedProviders ? { allowed_providers: options.allowedProviders } : {}),
    ...grantPolicyBody(options.grantPolicy),
    ...(options.returnUrl === undefined ? {} : { return_url: options.returnUrl }),
    ...(options.allowedOrigin === undefined ? {} : { allowed_origin: options.allowedOrigin }),
    ...(options.requiredScopes === undefined ? {} : { required_scopes: options.requiredScopes }),
    ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    ...(options.userToken === undefined ? {} : { user_token: options.userToken }),
    ...connectionParamsBody(options.connectionParams),
  };
  const session = await http.call<CreateConnectSessionResponse>("POST", "/v1/connect/sessions", { body });
  return {
    sessionId: session.session_id,
    sessionToken: session.session_token,
    connectUrl: session.connect_url,
    confirmationCode: session.confirmation_code,
    expiresAt: new Date(session.expires_at),
  };
}
