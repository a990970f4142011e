import { z } from "zod";

/** `POST /v1/auth/sessions`: start a sign-in at the app's identity provider (`authenticate()`). */
export const CreateAuthSessionRequest = z.object({}).strict();

export interface CreateAuthSessionResponse {
  session_id: string;
  /** Bearer secret of the sign-in page; it is inside sign_in_url. */
  session_token: string;
  sign_in_url: string;
  confirmation_code: string;
  expires_at: string;
}

/** `GET /v1/auth/sessions/<id>` (long-poll with `?wait=`, like connect sessions). */
export interface AuthSessionResponse {
  session_id: string;
  status: "pending" | "completed" | "denied" | "failed" | "expired";
  expires_at: string;
  /** Once completed: the ID token (a JWT) that identifies the user to this vault. */
  user_token: string | null;
  /** Once completed: the user's claims (ID token and userinfo). */
  user_info: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

export const AuthSessionParams = z
  .object({ id: z.string().regex(/^cs_[0-9a-f]{24}$/, "not a session id") })
  .strict();

/** `POST /v1/identity/verify` */
export const VerifyUserTokenRequest = z.object({ user_token: z.string().min(1).max(8192) }).strict();

export interface VerifyUserTokenResponse {
  /** The user's subject when the token is valid for this app; null otherwise. */
  subject: string | null;
}
