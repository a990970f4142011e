import { z } from "zod";

const TEN_YEARS_SECONDS = 10 * 365 * 24 * 3600;
const ttl = z
  .number()
  .int()
  .min(60, "must be at least 60 seconds")
  .max(TEN_YEARS_SECONDS, "must be at most 10 years");

/** Limits on the grant a connect session creates. */
export const GrantPolicy = z
  .object({
    /** The grant may not live longer than this. */
    max_ttl_seconds: ttl.optional(),
    /** The grant's lifetime when nothing else is asked (at most max_ttl_seconds). */
    default_ttl_seconds: ttl.optional(),
  })
  .strict()
  .refine(
    (policy) =>
      policy.max_ttl_seconds === undefined ||
      policy.default_ttl_seconds === undefined ||
      policy.default_ttl_seconds <= policy.max_ttl_seconds,
    { error: "default_ttl_seconds must not exceed max_ttl_seconds", path: ["default_ttl_seconds"] },
  );
export type GrantPolicy = z.infer<typeof GrantPolicy>;

export const ProviderId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "not a provider id");

/** A bare web origin: scheme, host and port only (`https://app.example.com`). */
export const WebOrigin = z
  .string()
  .max(255)
  .refine((value) => URL.canParse(value) && isBareOrigin(value), {
    error: "must be a bare origin such as https://app.example.com (no path, query or wildcard)",
  });

function isBareOrigin(value: string): boolean {
  const url = new URL(value);
  return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value;
}

/** An absolute http(s) URL of the app (where a browser returns to). */
export const ReturnUrl = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol), {
    error: "must be an absolute http(s) URL",
  })
  .refine((value) => !URL.canParse(value) || new URL(value).username === "", {
    error: "must not carry credentials",
  });

const Scope = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "not a scope");

/** A per-connection parameter's name, as providers declare it (`tenant`, `shop`). */
export const ConnectionParamName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "not a parameter name");

/**
 * Per provider, the values of its per-connection parameters (`{"corp": {"tenant": "acme"}}`).
 * Each value is checked by the vault against the provider's pattern and a fixed safe charset.
 */
export const ConnectionParamsByProvider = z.record(
  ProviderId,
  z
    .record(ConnectionParamName, z.string().max(100, "must be at most 100 characters"))
    .refine((values) => Object.keys(values).length <= 10, { error: "at most 10 parameters" }),
);

/** `POST /v1/connect/sessions` */
export const CreateConnectSessionRequest = z
  .object({
    /** Providers the user may choose from; all configured providers when omitted. */
    allowed_providers: z.array(ProviderId).min(1).max(50).optional(),
    grant_policy: GrantPolicy.optional(),
    /** Where the browser goes when a redirect-mode session ends; its origin must be allowed for the app. */
    return_url: ReturnUrl.optional(),
    /** The web page that opens the Connect.js popup: the only origin the page reports to. */
    allowed_origin: WebOrigin.optional(),
    /** Per provider, the scopes to ask for: a subset of the scopes the operator configured. */
    required_scopes: z.record(ProviderId, z.array(Scope).min(1).max(50)).optional(),
    /** The app's own labels for the session (kept with it and in the audit log). */
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 20, { error: "at most 20 entries" })
      .optional(),
    /** The signed-in user (an ID token of the app's identity provider): the grant will be theirs. */
    user_token: z.string().min(1).max(8192).optional(),
    /**
     * Per provider, its per-connection parameters (a tenant, a shop). Parameters not given here
     * are asked for on the Connect page.
     */
    connection_params: ConnectionParamsByProvider.optional(),
  })
  .strict();
export type CreateConnectSessionRequest = z.infer<typeof CreateConnectSessionRequest>;

export interface CreateConnectSessionResponse {
  session_id: string;
  /** Bearer secret of the Connect page; it is inside connect_url. */
  session_token: string;
  connect_url: string;
  /** Shown on the Connect page too, so the user can check the link came from their own terminal. */
  confirmation_code: string;
  /** ISO 8601. */
  expires_at: string;
}

export const CONNECT_SESSION_STATUSES = ["pending", "completed", "denied", "failed", "expired"] as const;
export type ConnectSessionStatus = (typeof CONNECT_SESSION_STATUSES)[number];

/**
 * Why a session ended without a grant: `access_denied` (the user said no), `provider_config`
 * (the provider rejected the vault's OAuth client), `provider_error`, `invalid_callback`.
 */
export type ConnectFailureCode = "access_denied" | "provider_config" | "provider_error" | "invalid_callback";

export interface ConnectResultBody {
  grant_id: string;
  provider_id: string;
  account_identifier: string;
  scopes: string[];
  grant_policy: GrantPolicy | null;
}

/** `GET /v1/connect/sessions/<id>` */
export interface ConnectSessionResponse {
  session_id: string;
  status: ConnectSessionStatus;
  expires_at: string;
  /** Present once completed. */
  results: ConnectResultBody[] | null;
  /** Present when denied or failed. */
  error: { code: ConnectFailureCode; message: string } | null;
}

export const ConnectSessionParams = z
  .object({ id: z.string().regex(/^cs_[0-9a-f]{24}$/, "not a session id") })
  .strict();

/** Long-poll: hold the request up to `wait` seconds while the session is pending. */
export const MAX_WAIT_SECONDS = 30;
export const GetConnectSessionQuery = z
  .object({
    wait: z.coerce
      .number({ error: "must be a number of seconds" })
      .min(0)
      .max(MAX_WAIT_SECONDS, `must be at most ${MAX_WAIT_SECONDS}`)
      .optional(),
  })
  .strict();
