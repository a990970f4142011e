import { randomBytes } from "node:crypto";
import { Keyring } from "../../packages/server/src/crypto/keyring.js";
import type { ProviderConfig } from "../../packages/server/src/providers/provider-config.js";
import { freePort } from "../../test/harness/free-port.js";
import { type OAuthProvider, startOAuthProvider } from "../../test/harness/oauth-provider.js";
import { startTestVault, type TestVault } from "../../test/harness/vault-app.js";

/** A master key as bytes a child process can be given (a fresh random key per run). */
export interface KeyMaterial {
  id: string;
  base64: string;
}

/**
 * The `idp` part of the connect world (test/harness/connect-world.ts) — a real node-oidc-provider
 * and a vault listening on loopback, with an app and its API key — with two differences the
 * benches need: the bench chooses the provider's API base URLs (its own API on loopback), and it
 * knows the key ring, so vaults in other OS processes can open the credentials this one sealed
 * (connect-world's key ring is random and stays inside its process).
 */
export interface KeyedWorld {
  vault: TestVault;
  baseUrl: string;
  apiKey: string;
  oauth: OAuthProvider;
  /** What every vault of the run is configured with: the one `idp` provider. */
  providers: ProviderConfig[];
  key: KeyMaterial;
  databaseUrl: string;
  stop(): Promise<void>;
}

export async function startKeyedWorld(options: {
  databaseUrl: string;
  apiBaseUrls: string[];
  /** The provider issues a new refresh token on every refresh and retires the old one. */
  rotateRefreshTokens?: boolean;
}): Promise<KeyedWorld> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = {
    client_id: "gv-idp",
    client_secret: randomBytes(16).toString("hex"),
    redirect_uris: [`${baseUrl}/v1/oauth/callback/idp`],
  };
  // Access tokens last 3600 s (the provider's default), as in the connect world.
  const oauth = await startOAuthProvider({
    clients: [client],
    ...(options.rotateRefreshTokens ? { rotateRefreshTokens: true } : {}),
  });
  const providers: ProviderConfig[] = [
    {
      id: "idp",
      type: "oidc",
      displayName: "Test IdP",
      issuer: oauth.issuer,
      apiBaseUrls: options.apiBaseUrls,
      clientId: client.client_id,
      clientSecret: client.client_secret,
    },
  ];
  const key: KeyMaterial = { id: "bench", base64: randomBytes(32).toString("base64") };
  let vault: TestVault | undefined;
  try {
    vault = await startTestVault({
      providers,
      publicUrl: baseUrl,
      databaseUrl: options.databaseUrl,
      keyring: keyringOf(key),
    });
    await vault.app.listen({ host: "127.0.0.1", port });
    const { apiKey } = await vault.apiKeys.createApp("Bench app");
    const started = vault;
    return {
      vault: started,
      baseUrl,
      apiKey: apiKey.plaintext,
      oauth,
      providers,
      key,
      databaseUrl: options.databaseUrl,
      async stop() {
        await started.close();
        await oauth.stop();
      },
    };
  } catch (error) {
    await vault?.close();
    await oauth.stop();
    throw error;
  }
}

export function keyringOf(key: KeyMaterial): Keyring {
  return new Keyring([{ id: key.id, key: Buffer.from(key.base64, "base64") }]);
}
