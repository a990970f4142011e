import type { AddressInfo } from "node:net";
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { startTestVault } from "../../test/harness/vault-app.js";
import { openBenchDatabase } from "./bench-database.js";
import { askCredential, describeError } from "./credential-call.js";
import type { HerdEngine, HerdOptions, PeerPlacement } from "./herd-options.js";
import { type KeyedWorld, keyringOf, startKeyedWorld } from "./keyed-world.js";
import { connectIdpGrant } from "./long-poll-flow.js";
import { countRefreshAttempts } from "./refresh-attempts.js";
import { type LatencySummary, summarize } from "./stats.js";
import { startPeerVaultProcess } from "./vault-process.js";

/** One vault server of the run, as the callers see it. */
export interface HerdVaultInfo {
  label: string;
  /** The OS process it runs in. */
  pid: number;
  /** "bench process" or "own process". */
  where: string;
}

export interface HerdRound {
  round: number;
  callers: number;
  /** `POST /token` requests the OAuth provider received during the herd. */
  refreshes: number;
  /** Calls that did not end in a 200 (other statuses, network errors, time-outs). */
  errors: number;
  /** Distinct Authorization headers handed out by the 200s. */
  distinctTokens: number;
  /** Whether the token handed out differs from the one before the herd (i.e. it was refreshed). */
  newToken: boolean;
  /** From the first call sent to the last answer received. */
  wallMs: number;
  /** Per call, of the 200s. */
  latencyMs: LatencySummary | null;
  /** The first few distinct error messages. */
  errorSamples: string[];
  /** Refreshes caused by one call per vault right after the herd (the new token is good for an hour: 0). */
  refreshesAfter: number;
  /**
   * Per vault, the refreshes it started during the herd (each claimed the refresh lease; see
   * refresh-attempts.ts): more than one vault here means the processes raced for the refresh, and
   * the lease and the re-read after it decided.
   */
  refreshAttempts: number[];
}

export interface HerdEngineReport {
  engine: HerdEngine;
  database: string | null;
  vaults: HerdVaultInfo[];
  rounds: HerdRound[];
  /** Why the engine's run stopped (a set-up failure); null when it ran through. */
  failure: string | null;
  /** Checks besides the figures (warm-up, after the herd); empty when all held. */
  problems: string[];
}

export interface HerdReport {
  bench: "refresh-herd";
  callers: number;
  rounds: number;
  peers: PeerPlacement;
  refreshTokens: HerdOptions["refreshTokens"];
  machine: { node: string; cpus: number; loadAverage: number[] };
  engines: HerdEngineReport[];
}

/** A vault the calls go to, with what the bench needs to drive it. */
interface HerdVault extends HerdVaultInfo {
  baseUrl: string;
  setClock(now: number): Promise<void>;
  refreshAttempts(): Promise<number>;
}

/** The access tokens last 3600 s; one second more puts every vault's clock past their expiry. */
const EXPIRE_MS = 3601 * 1000;
/** One call must not take longer (it then counts as an error). */
const CALL_TIME_LIMIT_MS = 30_000;
const ERROR_SAMPLES = 5;
/** The URL the credentials are asked for: an API base URL of the provider; the bench never calls it. */
const API_BASE_URL = "https://api.herd.invalid";
const TARGET_URL = `${API_BASE_URL}/user`;

/** Each engine in turn, each in its own world; an engine that fails is reported, and the next still runs. */
export async function runHerdBench(
  options: HerdOptions,
  progress: (line: string) => void,
): Promise<HerdReport> {
  const report: HerdReport = {
    bench: "refresh-herd",
    callers: options.callers,
    rounds: options.rounds,
    peers: options.peers,
    refreshTokens: options.refreshTokens,
    machine: {
      node: process.versions.node,
      cpus: availableParallelism(),
      loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
    },
    engines: [],
  };
  for (const engine of options.engines) {
    const engineReport: HerdEngineReport = {
      engine,
      database: null,
      vaults: [],
      rounds: [],
      failure: null,
      problems: [],
    };
    try {
      await runEngine(engine, options, engineReport, progress);
    } catch (error) {
      engineReport.failure = describeError(error);
      progress(`${engine}: FAILED ${engineReport.failure}`);
    }
    report.engines.push(engineReport);
  }
  return report;
}

/** True when every herd refreshed exactly once, without errors, handing out one new token, and every check held. */
export function herdSucceeded(report: HerdReport): boolean {
  return report.engines.every(
    (engine) =>
      engine.failure === null &&
      engine.problems.length === 0 &&
      engine.rounds.length > 0 &&
      engine.rounds.every(
        (round) =>
          round.refreshes === 1 && round.errors === 0 && round.distinctTokens === 1 && round.newToken,
      ),
  );
}

/**
 * One engine: a fresh database; a keyed world on it (vault 1, in the bench process); one grant by
 * a browserless connect flow; on PostgreSQL two more vault servers on the same database and key
 * ring (vaults 2 and 3); then the herds.
 */
async function runEngine(
  engine: HerdEngine,
  options: HerdOptions,
  report: HerdEngineReport,
  progress: (line: string) => void,
): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    progress(`${engine}: starting the database and the connect world…`);
    const database = await openBenchDatabase(engine);
    cleanups.push(() => database.drop());
    report.database = database.description;
    const world = await startKeyedWorld({
      databaseUrl: database.url,
      apiBaseUrls: [API_BASE_URL],
      rotateRefreshTokens: options.refreshTokens === "rotating",
    });
    cleanups.push(() => world.stop());
    const grantId = await connectIdpGrant(world, `herd-${engine}`);

    const worldAttempts = countRefreshAttempts(world.vault.store);
    const vaults: HerdVault[] = [
      {
        label: "vault 1",
        pid: process.pid,
        where: "bench process",
        baseUrl: world.baseUrl,
        setClock: async (now) => {
          world.vault.clock.current = now;
        },
        refreshAttempts: async () => worldAttempts(),
      },
    ];
    if (engine === "postgres") {
      progress(
        `${engine}: starting vaults 2 and 3 (${options.peers === "process" ? "own processes" : "in-process"})…`,
      );
      const peers = await Promise.all(
        [2, 3].map((n) => startPeer(world, `vault ${n}`, options.peers, cleanups)),
      );
      vaults.push(...peers);
    }
    report.vaults = vaults.map(({ label, pid, where }) => ({ label, pid, where }));

    const tokenCalls = () =>
      world.oauth.requests().filter((request) => request.method === "POST" && request.path === "/token")
        .length;
    const ask = (vault: HerdVault) =>
      askCredential(
        vault.baseUrl,
        world.apiKey,
        grantId,
        TARGET_URL,
        AbortSignal.timeout(CALL_TIME_LIMIT_MS),
      );

    // One call per vault while the token is fresh: every vault serves (routes, pools, connections
    // warm) and hands out the same token, without a refresh.
    const warmUpBefore = tokenCalls();
    let token = await sameTokenFromEach(vaults, ask, "before the first herd");
    if (tokenCalls() !== warmUpBefore) {
      report.problems.push(`the warm-up calls caused ${tokenCalls() - warmUpBefore} refreshes; expected 0`);
    }

    for (let round = 1; round <= options.rounds; round++) {
      const now = world.vault.clock.current + EXPIRE_MS;
      await Promise.all(vaults.map((vault) => vault.setClock(now)));
      progress(
        `${engine}: herd ${round}/${options.rounds}: ${options.callers} concurrent calls over ${vaults.length} vault(s)…`,
      );
      const attemptsBefore = await Promise.all(vaults.map((vault) => vault.refreshAttempts()));
      const before = tokenCalls();
      const herd = await runHerd(vaults, options.callers, ask);
      const refreshes = tokenCalls() - before;
      const attemptsAfter = await Promise.all(vaults.map((vault) => vault.refreshAttempts()));
      const [handedOut] = herd.tokens;

      const afterBefore = tokenCalls();
      let after: string | undefined;
      try {
        after = await sameTokenFromEach(vaults, ask, `after herd ${round}`);
      } catch (error) {
        report.problems.push(describeError(error));
      }
      if (after !== undefined && herd.tokens.size > 0 && !herd.tokens.has(after)) {
        report.problems.push(`after herd ${round}, the vaults hand out a token not handed out during it`);
      }
      report.rounds.push({
        round,
        callers: options.callers,
        refreshes,
        errors: herd.errors,
        distinctTokens: herd.tokens.size,
        newToken: handedOut !== undefined && handedOut !== token,
        wallMs: herd.wallMs,
        latencyMs: summarize(herd.latencies),
        errorSamples: herd.errorSamples,
        refreshesAfter: tokenCalls() - afterBefore,
        refreshAttempts: attemptsAfter.map((count, index) => count - (attemptsBefore[index] ?? 0)),
      });
      if (handedOut !== undefined) token = handedOut;
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => report.problems.push(`clean-up: ${describeError(error)}`));
    }
  }
}

type Ask = (vault: HerdVault) => ReturnType<typeof askCredential>;

/** `callers` calls at once, spread round-robin over the vaults; each is timed on its own. */
async function runHerd(
  vaults: HerdVault[],
  callers: number,
  ask: Ask,
): Promise<{
  wallMs: number;
  latencies: number[];
  errors: number;
  errorSamples: string[];
  tokens: Set<string>;
}> {
  const latencies: number[] = [];
  const tokens = new Set<string>();
  const errorSamples: string[] = [];
  let errors = 0;
  const call = async (vault: HerdVault) => {
    const startedAt = performance.now();
    let problem: string;
    try {
      const answer = await ask(vault);
      if (answer.status === 200 && answer.authorization) {
        latencies.push(performance.now() - startedAt);
        tokens.add(answer.authorization);
        return;
      }
      problem = `${vault.label} answered ${answer.status}: ${answer.body.slice(0, 200)}`;
    } catch (error) {
      problem = `${vault.label}: ${describeError(error)}`;
    }
    errors++;
    if (errorSamples.length < ERROR_SAMPLES && !errorSamples.includes(problem)) errorSamples.push(problem);
  };
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: callers }, (_, index) => call(vaults[index % vaults.length] as HerdVault)),
  );
  return { wallMs: performance.now() - startedAt, latencies, errors, errorSamples, tokens };
}

/** One call per vault, one after the other; all must answer 200 with the same token, which is returned. */
async function sameTokenFromEach(vaults: HerdVault[], ask: Ask, when: string): Promise<string> {
  const tokens = new Set<string>();
  for (const vault of vaults) {
    const answer = await ask(vault);
    if (answer.status !== 200 || !answer.authorization) {
      throw new Error(`${when}, ${vault.label} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
    tokens.add(answer.authorization);
  }
  if (tokens.size !== 1) throw new Error(`${when}, the vaults handed out ${tokens.size} different tokens`);
  return [...tokens][0] as string;
}

/**
 * Another vault server on the world's database, key ring, providers and clock — a second server
 * process behind a load balancer — listening on loopback: in its own OS process, or in this one
 * (as connect-world's startPeer(), with its own connection pool and single-flight map).
 */
async function startPeer(
  world: KeyedWorld,
  label: string,
  placement: PeerPlacement,
  cleanups: (() => Promise<void>)[],
): Promise<HerdVault> {
  if (placement === "process") {
    const peer = await startPeerVaultProcess(world, label);
    cleanups.push(() => peer.stop());
    return {
      label,
      pid: peer.pid,
      where: "own process",
      baseUrl: peer.baseUrl,
      setClock: (now) => peer.setClock(now),
      refreshAttempts: () => peer.refreshAttempts(),
    };
  }
  const peer = await startTestVault({
    providers: world.providers,
    publicUrl: world.baseUrl,
    databaseUrl: world.databaseUrl,
    keyring: keyringOf(world.key),
  });
  cleanups.push(() => peer.close());
  const attempts = countRefreshAttempts(peer.store);
  peer.clock.current = world.vault.clock.current;
  await peer.app.listen({ host: "127.0.0.1", port: 0 });
  return {
    label,
    pid: process.pid,
    where: "bench process",
    baseUrl: `http://127.0.0.1:${(peer.app.server.address() as AddressInfo).port}`,
    setClock: async (now) => {
      peer.clock.current = now;
    },
    refreshAttempts: async () => attempts(),
  };
}
