import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Vault } from "../../packages/sdk/src/index.js";
import { freePort } from "../../test/harness/free-port.js";
import { startOAuthProvider } from "../../test/harness/oauth-provider.js";
import { askCredential, describeError } from "./credential-call.js";
import { connectIdpGrant } from "./long-poll-flow.js";
import { PONG } from "./ping-api.js";
import { startPingApiHandle } from "./ping-api-process.js";
import {
  type MeasuredProcess,
  processMemory,
  SERVER_BIN,
  spawnMeasured,
  waitForOk,
} from "./server-process.js";
import { type LatencySummary, summarize } from "./stats.js";
import { loadAverage, runSlice } from "./throughput-bench.js";

export interface FootprintOptions {
  /** Cold starts per process kind. */
  starts: number;
  /** Seconds of proxy load. */
  seconds: number;
  concurrency: number;
  json: boolean;
  /** NODE_OPTIONS for the vault's process only (e.g. V8 heap flags to compare). */
  nodeOptions: string;
}

export interface FootprintReport {
  bench: "footprint";
  machine: { node: string; cpus: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  /** Spawn → first `GET /healthz` 200, in ms. */
  coldStart: {
    /** `grantvault-server serve` on an empty data directory (creates key, database, first app). */
    vault: LatencySummary | null;
    /** The same server again on the data directory its first start left. */
    vaultAgain: LatencySummary | null;
    /** Baseline: a bare `node:http` server answering 200 (Node's own start-up). */
    bareNode: LatencySummary | null;
    /** p50(vault) / p50(bare node). */
    ratio: number | null;
  };
  /** Resident set sizes in MB. */
  memory: {
    vaultIdle: number | null;
    /** The highest of the samples taken every 100 ms during the proxy load. */
    vaultPeakUnderLoad: number | null;
    /** The kernel's high-water mark for the vault process at the end of the run (VmHWM). */
    vaultHighWaterMark: number | null;
    vaultAfterLoad: number | null;
    /** Baseline: the API the vault calls, a bare `node:http` server, after serving the same requests. */
    apiAfterLoad: number | null;
    /** vaultPeakUnderLoad / apiAfterLoad. */
    ratio: number | null;
  };
  load: { requests: number; errors: number; requestsPerSecond: number; latencyMs: LatencySummary | null };
  targets: { coldStartP50Ms: number; rssUnderLoadMb: number; met: boolean | null };
  failure: string | null;
}

const TARGET_COLD_START_MS = 500;
const TARGET_RSS_MB = 100;
const START_LIMIT_MS = 30_000;

/** A bare Node HTTP server: what any Node service pays before its first line of code. */
const BARE_NODE = `require("node:http").createServer((q, s) => s.end("ok")).listen(Number(process.argv[1]), "127.0.0.1")`;

export async function runFootprintBench(
  options: FootprintOptions,
  progress: (line: string) => void,
): Promise<FootprintReport> {
  const report: FootprintReport = {
    bench: "footprint",
    machine: {
      node: process.versions.node,
      cpus: availableParallelism(),
      loadAverageBefore: loadAverage(),
      loadAverageAfter: [],
    },
    coldStart: { vault: null, vaultAgain: null, bareNode: null, ratio: null },
    memory: {
      vaultIdle: null,
      vaultPeakUnderLoad: null,
      vaultHighWaterMark: null,
      vaultAfterLoad: null,
      apiAfterLoad: null,
      ratio: null,
    },
    load: { requests: 0, errors: 0, requestsPerSecond: 0, latencyMs: null },
    targets: { coldStartP50Ms: TARGET_COLD_START_MS, rssUnderLoadMb: TARGET_RSS_MB, met: null },
    failure: null,
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    progress(`cold starts: ${options.starts} of each (bare node, vault on an empty data dir, vault again)…`);
    const bare: number[] = [];
    const first: number[] = [];
    const again: number[] = [];
    // Interleaved, so a change in the machine's load touches every kind alike.
    for (let run = 0; run < options.starts; run++) {
      const port = await freePort();
      bare.push(await timeStart(["-e", BARE_NODE, String(port)], {}, `http://127.0.0.1:${port}/`));
      const dataDir = await emptyDataDir();
      cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
      first.push(await timeVaultStart(options, dataDir));
      again.push(await timeVaultStart(options, dataDir));
    }
    report.coldStart.bareNode = summarize(bare);
    report.coldStart.vault = summarize(first);
    report.coldStart.vaultAgain = summarize(again);
    if (report.coldStart.vault && report.coldStart.bareNode) {
      report.coldStart.ratio = report.coldStart.vault.p50 / report.coldStart.bareNode.p50;
    }

    progress("memory: the vault with a provider and one grant, idle, then under proxy load…");
    const api = await startPingApiHandle(true);
    cleanups.push(() => api.stop());
    const vaultPort = await freePort();
    const baseUrl = `http://127.0.0.1:${vaultPort}`;
    const client = {
      client_id: "gv-idp",
      client_secret: randomBytes(16).toString("hex"),
      redirect_uris: [`${baseUrl}/v1/oauth/callback/idp`],
    };
    const oauth = await startOAuthProvider({ clients: [client] });
    cleanups.push(() => oauth.stop());
    const dataDir = await emptyDataDir();
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const providersFile = join(dataDir, "providers.json");
    const provider = {
      id: "idp",
      type: "oidc",
      displayName: "Test IdP",
      issuer: oauth.issuer,
      apiBaseUrls: [api.baseUrl],
      clientId: client.client_id,
      clientSecret: client.client_secret,
    };
    await writeFile(providersFile, JSON.stringify({ providers: [provider] }), { mode: 0o600 });
    const vault = startVault(options, dataDir, vaultPort, { GRANTVAULT_PROVIDERS_FILE: providersFile });
    cleanups.push(() => vault.stop());
    await waitForOk(`${baseUrl}/healthz`, vault, START_LIMIT_MS);
    const apiKey = /GRANTVAULT_API_KEY=(\S+)/.exec(vault.stdout())?.[1];
    if (!apiKey) throw new Error("the first start printed no API key");
    const grantId = await connectIdpGrant({ baseUrl, apiKey }, "bench-footprint");
    const url = `${api.baseUrl}/ping`;
    const credential = await askCredential(baseUrl, apiKey, grantId, url, AbortSignal.timeout(10_000));
    if (!credential.authorization) throw new Error(`the credential endpoint answered ${credential.status}`);
    await api.expect(credential.authorization);
    await sleep(1000);
    report.memory.vaultIdle = (await vault.memory()).rssMb;

    progress(`proxy load: ${options.concurrency} workers for ${options.seconds} s…`);
    const sdk = new Vault({ apiKey, baseUrl });
    const samples: number[] = [];
    const sampler = setInterval(() => {
      vault.memory().then(
        (memory) => samples.push(memory.rssMb),
        () => {},
      );
    }, 100);
    const load = await closedLoop(options, async () => {
      const response = await sdk.proxyRequest("GET", url, { grantId });
      const body = await response.text();
      if (response.status !== 200 || body !== PONG) throw new Error(`answered ${response.status}`);
    });
    clearInterval(sampler);
    report.load = load;
    report.memory.vaultPeakUnderLoad = Math.max(...samples);
    report.memory.vaultHighWaterMark = (await vault.memory()).peakMb;
    await sleep(2000);
    report.memory.vaultAfterLoad = (await vault.memory()).rssMb;
    report.memory.apiAfterLoad = (await processMemory(api.pid)).rssMb;
    report.memory.ratio = report.memory.vaultPeakUnderLoad / report.memory.apiAfterLoad;
    report.targets.met =
      (report.coldStart.vault?.p50 ?? Number.POSITIVE_INFINITY) <= TARGET_COLD_START_MS &&
      report.memory.vaultPeakUnderLoad <= TARGET_RSS_MB &&
      load.errors === 0;
  } catch (error) {
    report.failure = describeError(error);
    progress(`FAILED ${report.failure}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    report.machine.loadAverageAfter = loadAverage();
  }
  return report;
}

/** The server as an operator starts it, with nothing but its data directory and port. */
function startVault(
  options: FootprintOptions,
  dataDir: string,
  port: number,
  env: Record<string, string> = {},
): MeasuredProcess {
  return spawnMeasured(SERVER_BIN, ["serve", "--port", String(port)], {
    GRANTVAULT_DATA_DIR: dataDir,
    ...(options.nodeOptions ? { NODE_OPTIONS: options.nodeOptions } : {}),
    ...env,
  });
}

async function timeVaultStart(options: FootprintOptions, dataDir: string): Promise<number> {
  const port = await freePort();
  const startedAt = performance.now();
  const vault = startVault(options, dataDir, port);
  try {
    return (await waitForOk(`http://127.0.0.1:${port}/healthz`, vault, START_LIMIT_MS)) - startedAt;
  } finally {
    await vault.stop();
  }
}

async function timeStart(args: string[], env: Record<string, string>, url: string): Promise<number> {
  const startedAt = performance.now();
  const child = spawnMeasured(process.execPath, args, env);
  try {
    return (await waitForOk(url, child, START_LIMIT_MS)) - startedAt;
  } finally {
    await child.stop();
  }
}

async function emptyDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "gv-footprint-"));
  await chmod(dir, 0o700);
  return dir;
}

/** The throughput bench's closed loop of `concurrency` workers, summarized for this report. */
async function closedLoop(
  options: FootprintOptions,
  call: () => Promise<void>,
): Promise<FootprintReport["load"]> {
  const slice = await runSlice(call, options.concurrency, options.seconds * 1000);
  return {
    requests: slice.latencies.length,
    errors: slice.errors,
    requestsPerSecond: slice.latencies.length / (slice.elapsedMs / 1000),
    latencyMs: summarize(slice.latencies),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
