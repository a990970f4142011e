import { afterAll, afterEach, beforeAll, expect } from "vitest";
import {
  type AuthorizationRequest,
  ConnectFailure,
  OAuthClient,
  type ProviderConfig,
  type ResolvedProvider,
  resolveProvider,
} from "../../packages/server/src/testing.js";
import { FakeProvider, offlineFetch, type ReceivedRequest } from "./fake-provider.js";

/**
 * What the quirky-provider tests (`quirky-*.test.ts`) share. They run OAuthClient.exchangeCode()
 * against local fakes of each catalog provider's token and identity endpoints, reproducing their
 * real-world quirks. Only the endpoints are pointed at the fake: the catalog's quirk functions
 * (normalizeTokenResponse, accountIdentifier, tokenAuthMethod, tokenRequestFormat, scopeParameter)
 * stay the catalog's.
 */

/** Real hosts the catalog's identity lookups call; the test fetch sends them to the fake. */
const IDENTITY_ORIGINS = [
  "https://api.github.com",
  "https://slack.com",
  "https://graph.microsoft.com",
  "https://openidconnect.googleapis.com",
];
const VAULT = "http://127.0.0.1:4599";
export const NOW = Date.UTC(2030, 0, 1);
export const STATE = "st-8f2a1c9e";
// RFC 7636 Appendix B: the verifier and its S256 challenge, computed independently of the client.
export const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
export const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
export const SECRET = "gv-test-client-secret-do-not-leak";
export const FORM = "application/x-www-form-urlencoded;charset=UTF-8";

/** The fake every helper here talks to: set by `useFakeProvider()` before the file's first test. */
export let fake: FakeProvider;
/** URLs of real hosts something tried to reach; each test must leave it empty. */
export const refused: string[] = [];

/** Starts the fake for the calling test file, checks after each test that no real host was tried. */
export function useFakeProvider(): void {
  beforeAll(async () => {
    fake = await FakeProvider.start();
  });

  afterEach(() => {
    // Nothing may have tried to reach a real host.
    const attempts = refused.splice(0);
    fake.reset();
    expect(attempts).toEqual([]);
  });

  afterAll(async () => {
    await fake.close();
  });
}

export function oauthClient(): OAuthClient {
  return new OAuthClient(offlineFetch(fake, IDENTITY_ORIGINS, refused), () => NOW);
}

/** The catalog provider as the vault resolves it, with only its endpoints moved to the fake. */
export function atFake(config: ProviderConfig): ResolvedProvider {
  const resolved = resolveProvider(config);
  const { endpoints } = resolved;
  if ("discoverFrom" in endpoints) throw new Error("catalog providers have static endpoints");
  return {
    ...resolved,
    endpoints: {
      issuer: fake.origin,
      authorizationUrl: fake.mirror(endpoints.authorizationUrl),
      tokenUrl: fake.mirror(endpoints.tokenUrl),
      ...(endpoints.userinfoUrl ? { userinfoUrl: fake.mirror(endpoints.userinfoUrl) } : {}),
      ...(endpoints.revocationUrl ? { revocationUrl: fake.mirror(endpoints.revocationUrl) } : {}),
    },
    allowInsecureRequests: true,
  };
}

export function redirectUri(providerId: string): string {
  return `${VAULT}/v1/oauth/callback/${providerId}`;
}

export function callback(providerId: string, code = "abc"): URL {
  return new URL(`${redirectUri(providerId)}?code=${code}&state=${STATE}`);
}

/** What ConnectFlow stores for the provider: a PKCE verifier only when the catalog says PKCE. */
export function requestFor(provider: ResolvedProvider, nonce: string | null = null): AuthorizationRequest {
  return {
    redirectUri: redirectUri(provider.id),
    state: STATE,
    codeVerifier: provider.pkce ? VERIFIER : null,
    nonce,
  };
}

export function exchange(provider: ResolvedProvider, nonce: string | null = null) {
  return oauthClient().exchangeCode(provider, callback(provider.id), requestFor(provider, nonce));
}

/** The ConnectFailure a promise rejects with (fails the test on success or on any other error). */
export async function failureOf(promise: Promise<unknown>): Promise<ConnectFailure> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a ConnectFailure, got ${JSON.stringify(value)}`);
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(ConnectFailure);
  return error as ConnectFailure;
}

/** The single request the fake received at `realUrl`. */
export function onlyRequestTo(realUrl: string): ReceivedRequest {
  const requests = fake.requestsTo(realUrl);
  expect(requests).toHaveLength(1);
  return requests[0] as ReceivedRequest;
}

export function formOf(request: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(request.body));
}

/** The `user:password` inside an `Authorization: Basic` header. */
export function basicCredentials(request: ReceivedRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith("Basic ")) return undefined;
  return Buffer.from(header.slice("Basic ".length), "base64").toString("utf8");
}

export function queryOf(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

export const githubConfig = {
  id: "github",
  catalog: "github",
  clientId: "cid",
  clientSecret: SECRET,
} as const;
