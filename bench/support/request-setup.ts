import type { AddressInfo } from "node:net";
import { type ConnectWorld, startConnectWorld } from "../../test/harness/connect-world.js";
import { startTestVault, type TestVault } from "../../test/harness/vault-app.js";
import { startKeyedWorld } from "./keyed-world.js";
import { connectIdpGrant } from "./long-poll-flow.js";
import { type PingApiHandle, startPingApiHandle } from "./ping-api-process.js";
import type { ApiTarget, Engine } from "./request-options.js";
import { startPeerVaultProcess } from "./vault-process.js";

/**
 * Where the request bench's parts run (`--processes`): the database's grant, the measured vault
 * and the API, set up for one engine. Each set-up pushes its clean-ups, to run in reverse order.
 */

/** What the calls need, however the processes are placed. */
export interface Setup {
  vaultBaseUrl: string;
  apiKey: string;
  grantId: string;
  /** The URL both paths call. */
  url: string;
  /** The ping API (also started when the calls go to the resource API, and then idle). */
  ping: PingApiHandle;
  /** The measured vault's process CPU time so far, in µs; null when it runs in the bench's process. */
  vaultCpuMicros: (() => Promise<number>) | null;
}

/**
 * As deployed: the measured vault and the ping API each in their own OS process, the client (the
 * SDK and `fetch`) in the bench's. A keyed world (its key ring can be handed to another process)
 * whose `idp` provider lists the ping API makes the grant; the measured vault is a second server
 * on the same database, as behind a load balancer.
 */
export async function setUpSeparate(
  engine: Engine,
  databaseUrl: string,
  cleanups: (() => Promise<void>)[],
): Promise<Setup> {
  const ping = await startPingApiHandle(true);
  cleanups.push(() => ping.stop());
  const world = await startKeyedWorld({ databaseUrl, apiBaseUrls: [ping.baseUrl] });
  cleanups.push(() => world.stop());
  const grantId = await connectIdpGrant(world, `bench-${engine}`);
  // Its clock stands still, so the grant's token is never near expiry: no refresh during a run.
  const measured = await startPeerVaultProcess(world, "the measured vault process");
  cleanups.push(() => measured.stop());
  return {
    vaultBaseUrl: measured.baseUrl,
    apiKey: world.apiKey,
    grantId,
    url: `${ping.baseUrl}/ping`,
    ping,
    vaultCpuMicros: () => measured.cpuMicros(),
  };
}

/**
 * Everything in the bench's process: the connect world (whose resource API `--api resource`
 * calls), the ping API, and the measured vault (see startMeasuredVault).
 */
export async function setUpSingle(
  engine: Engine,
  api: ApiTarget,
  databaseUrl: string,
  cleanups: (() => Promise<void>)[],
): Promise<Setup> {
  const ping = await startPingApiHandle(false);
  cleanups.push(() => ping.stop());
  const world = await startConnectWorld({ databaseUrl });
  cleanups.push(() => world.stop());
  const grantId = await connectIdpGrant(world, `bench-${engine}`);
  const measured = await startMeasuredVault(world, databaseUrl, ping.baseUrl);
  cleanups.push(() => measured.vault.close());
  return {
    vaultBaseUrl: measured.baseUrl,
    apiKey: world.apiKey,
    grantId,
    url: api === "ping" ? `${ping.baseUrl}/ping` : `${world.api.baseUrl}/user`,
    ping,
    vaultCpuMicros: null,
  };
}

/**
 * The vault whose `POST /v1/grants/<id>/credential` the calls go through: a second server on the
 * world's database, key ring and clock — as a second process behind a load balancer would be —
 * configured like the world's vault except that the `idp` provider also lists the bench's API
 * among its API base URLs (the world's providers list only the harness's resource API, and the
 * vault hands out a token only for a URL under one of them).
 */
async function startMeasuredVault(
  world: ConnectWorld,
  databaseUrl: string,
  pingBaseUrl: string,
): Promise<{ vault: TestVault; baseUrl: string }> {
  const providers = world.providers.map((provider) =>
    provider.id === "idp"
      ? { ...provider, apiBaseUrls: [...(provider.apiBaseUrls ?? []), pingBaseUrl] }
      : provider,
  );
  const vault = await startTestVault({
    providers,
    publicUrl: world.baseUrl,
    databaseUrl,
    keyring: world.vault.keyring,
  });
  try {
    // The world's clock stands still, so the grant's token is never near expiry: no refresh during a run.
    vault.clock.current = world.vault.clock.current;
    await vault.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = vault.app.server.address() as AddressInfo;
    return { vault, baseUrl: `http://127.0.0.1:${port}` };
  } catch (error) {
    await vault.close();
    throw error;
  }
}
