import {
  AuthSessionParams,
  type AuthSessionResponse,
  CreateAuthSessionRequest,
  type CreateAuthSessionResponse,
  GetConnectSessionQuery,
} from "@grantvault/protocol";
import type { FastifyInstance } from "fastify";
import type { ConnectSessionService } from "../../connect/connect-sessions.js";
import type { KeyringHolder } from "../../crypto/keyring-holder.js";
import { VaultError } from "../../errors.js";
import { bindingOf, USER_TOKEN_FIELD } from "../../storage/sealed-fields.js";
import type { Store } from "../../storage/store.js";
import { callerOf } from "../api-key-auth.js";
import { holdSession } from "../hold-session.js";
import { validate } from "../validate.js";

/**
 * `authenticate()`: `POST /v1/auth/sessions` starts a sign-in at the app's identity provider
 * (a page like the Connect page), `GET /v1/auth/sessions/<id>[?wait=N]` long-polls it and, once
 * completed, hands the app the user's ID token and claims.
 */
export function registerAuthSessions(
  scope: FastifyInstance,
  deps: { sessions: ConnectSessionService; store: Store; keys: KeyringHolder; publicUrl: string },
): void {
  scope.post("/auth/sessions", async (request, reply): Promise<CreateAuthSessionResponse> => {
    const caller = callerOf(request);
    validate(CreateAuthSessionRequest, request.body ?? {});
    const { session, token } = await deps.sessions.createSignIn(caller.appId, caller.keyPrefix);
    reply.status(201);
    return {
      session_id: session.id,
      session_token: token,
      sign_in_url: `${deps.publicUrl}/connect/${token}`,
      confirmation_code: session.confirmationCode,
      expires_at: new Date(session.expiresAt).toISOString(),
    };
  });

  scope.get("/auth/sessions/:id", async (request, reply): Promise<AuthSessionResponse> => {
    const caller = callerOf(request);
    const { id } = validate(AuthSessionParams, request.params);
    const { wait = 0 } = validate(GetConnectSessionQuery, request.query);
    const session = await holdSession(reply, deps.sessions, caller.appId, id, wait);
    if (session?.kind !== "auth") throw new VaultError("session_not_found");
    const status = deps.sessions.statusOf(session);
    const sealed =
      status === "completed" ? await deps.store.connectSessions.sealedUserToken(caller.appId, id) : null;
    const keyring = sealed ? await deps.keys.current() : null;
    const userToken =
      sealed && keyring ? keyring.open(sealed, bindingOf(USER_TOKEN_FIELD, session.id)) : null;
    // Handed over once (F12): the vault keeps no copy of the user's ID token after pickup.
    if (sealed) await deps.store.connectSessions.dropUserToken(caller.appId, id);
    reply.header("cache-control", "no-store");
    return {
      session_id: session.id,
      status,
      expires_at: new Date(session.expiresAt).toISOString(),
      user_token: userToken,
      user_info: status === "completed" ? session.userInfo : null,
      error: session.error,
    };
  });
}
