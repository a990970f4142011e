/**
 * Where identity providers send users back after `authenticate()`: its own path, apart from the
 * connect providers' `/v1/oauth/callback/<provider>`, so a sign-in response cannot complete a
 * connect flow or the other way round.
 */
export const SIGN_IN_CALLBACK_PATH = "/v1/auth/callback";

/** The OAuth state rows of sign-ins carry this instead of a provider id (never a valid provider id). */
export const SIGN_IN_STATE_PROVIDER = "@identity";
