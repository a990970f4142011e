import type { CredentialResponse } from "../../packages/protocol/src/index.js";

/** The vault's answer to one `POST /v1/grants/<id>/credential`. */
export interface CredentialAnswer {
  status: number;
  /** The Authorization header handed out (200 only). */
  authorization: string | null;
  /** The body, for error messages. */
  body: string;
}

/**
 * Retrieve mode's first half, over HTTP without the SDK (which never shows the credential): the
 * headers the vault hands out for one `GET url` as the grant's account.
 */
export async function askCredential(
  vaultBaseUrl: string,
  apiKey: string,
  grantId: string,
  url: string,
  signal: AbortSignal,
): Promise<CredentialAnswer> {
  const response = await fetch(`${vaultBaseUrl}/v1/grants/${grantId}/credential`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${apiKey}`,
      accept: "application/json",
      "content-type": "application/json",
    },
    body: JSON.stringify({ method: "GET", url }),
    signal,
  });
  const body = await response.text();
  let authorization: string | null = null;
  if (response.status === 200) {
    authorization = (JSON.parse(body) as CredentialResponse).headers.authorization ?? null;
  }
  return { status: response.status, authorization, body };
}

/** An error's message with its cause, for reports. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : "";
  return `${error.name}: ${error.message}${cause}`;
}
