/**
 * A vault server in its own OS process (started by vault-process.ts): the test vault of
 * test/harness/vault-app.ts — the real app, a FakeClock, a silent logger — on the database, key
 * ring and providers it is given, listening on loopback.
 */
import "./source-aliases.js";
import type { AddressInfo } from "node:net";
import type { TestVault } from "../../test/harness/vault-app.js";
import { serveParent } from "./child-rpc.js";
import type { VaultProcessParams } from "./vault-process.js";

let vault: TestVault | undefined;
let refreshAttempts = () => 0;

// Registered at once (before any await), so no message from the bench process is missed.
serveParent({
  async start(params) {
    const { databaseUrl, providers, publicUrl, key, clock } = params as VaultProcessParams;
    // Loaded only now, after source-aliases.ts registered its hooks.
    const { startTestVault } = await import("../../test/harness/vault-app.js");
    const { keyringOf } = await import("./keyed-world.js");
    const { countRefreshAttempts } = await import("./refresh-attempts.js");
    vault = await startTestVault({ providers, publicUrl, databaseUrl, keyring: keyringOf(key) });
    refreshAttempts = countRefreshAttempts(vault.store);
    vault.clock.current = clock;
    await vault.app.listen({ host: "127.0.0.1", port: 0 });
    return `http://127.0.0.1:${(vault.app.server.address() as AddressInfo).port}`;
  },
  setClock(now) {
    if (!vault) throw new Error("not started");
    vault.clock.current = now as number;
    return null;
  },
  refreshAttempts: () => refreshAttempts(),
  async stop() {
    await vault?.close();
    vault = undefined;
  },
});
