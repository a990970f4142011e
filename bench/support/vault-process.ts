import type { ProviderConfig } from "../../packages/server/src/providers/provider-config.js";
import { startChild } from "./child-rpc.js";
import type { KeyedWorld, KeyMaterial } from "./keyed-world.js";

/** What a vault in its own process is started with: the same as its peers, so it is one of them. */
export interface VaultProcessParams {
  databaseUrl: string;
  providers: ProviderConfig[];
  publicUrl: string;
  key: KeyMaterial;
  /** Its FakeClock's time (epoch ms). */
  clock: number;
}

/** A vault server in another OS process (vault-process-main.ts), on the shared database, listening on loopback. */
export interface VaultProcess {
  baseUrl: string;
  pid: number;
  /** Sets its FakeClock (epoch ms); resolves once set. */
  setClock(now: number): Promise<void>;
  /** Its CPU time so far (user + system), in µs. */
  cpuMicros(): Promise<number>;
  /** Refreshes it has started so far (see refresh-attempts.ts). */
  refreshAttempts(): Promise<number>;
  stop(): Promise<void>;
}

export async function startVaultProcess(params: VaultProcessParams, label: string): Promise<VaultProcess> {
  const { child, started: baseUrl } = await startChild<string>(
    new URL("./vault-process-main.ts", import.meta.url),
    label,
    params,
  );
  return {
    baseUrl,
    pid: child.pid,
    setClock: (now) => child.call<void>("setClock", now),
    cpuMicros: () => child.call<number>("cpuMicros"),
    refreshAttempts: () => child.call<number>("refreshAttempts"),
    stop: () => child.stop(),
  };
}

/**
 * A vault in its own process that is a peer of `world`'s vault: the same database, providers, key
 * ring and clock (which stands still, so no token nears expiry unless a bench moves it).
 */
export function startPeerVaultProcess(world: KeyedWorld, label: string): Promise<VaultProcess> {
  return startVaultProcess(
    {
      databaseUrl: world.databaseUrl,
      providers: world.providers,
      publicUrl: world.baseUrl,
      key: world.key,
      clock: world.vault.clock.current,
    },
    label,
  );
}
