import { performance } from "node:perf_hooks";
import type {
  ConnectSessionResponse,
  CreateConnectSessionResponse,
} from "../../packages/protocol/src/index.js";
import { type BrowserlessConnectResult, completeConnectBrowserless } from "./browserless-connect.js";
import { FLOW_TIME_LIMIT_MS, type FlowSample, type RunFlow, sleep, type VaultTarget } from "./flow.js";
import { UserSide } from "./user-side.js";

/**
 * Mode B, the baseline: the app creates the session itself and asks for its status every
 * `pollIntervalMs` (no `wait`: the vault answers at once), on a fixed schedule from the session's
 * creation, until it is no longer pending.
 */
export function fixedPollFlow(pollIntervalMs: number): RunFlow {
  return async (target, flow): Promise<FlowSample> => {
    const user = new UserSide<BrowserlessConnectResult>(flow.signal);
    let session: ConnectSessionResponse | undefined;
    let resultAt = 0;
    try {
      const created = await vaultJson<CreateConnectSessionResponse>(target, "POST", "/v1/connect/sessions", {
        signal: user.signal,
        body: { allowed_providers: [target.provider] },
      });
      const createdAt = performance.now();
      user.start(async (signal) => {
        await sleep(flow.thinkMs, signal);
        return completeConnectBrowserless(created.connect_url, {
          provider: target.provider,
          login: flow.login,
          signal,
        });
      });
      const path = `/v1/connect/sessions/${encodeURIComponent(created.session_id)}`;
      // On schedule (createdAt + k·interval), not "sleep, then ask": the time a request takes does
      // not shift the next one, as with a timer-driven poller.
      const maxPolls = Math.ceil(FLOW_TIME_LIMIT_MS / pollIntervalMs);
      for (let k = 1; k <= maxPolls && session?.status !== "completed"; k++) {
        await sleep(createdAt + k * pollIntervalMs - performance.now(), user.signal);
        session = await vaultJson<ConnectSessionResponse>(target, "GET", path, { signal: user.signal });
        resultAt = performance.now();
        if (session.status !== "pending" && session.status !== "completed") {
          throw new Error(`the session ended ${session.status}: ${JSON.stringify(session.error)}`);
        }
      }
    } catch (error) {
      throw user.rootCause(error);
    }
    if (session?.status !== "completed") throw new Error(`the session was still pending after polling`);
    const { callbackDoneAt } = await user.result();
    const [result] = session.results ?? [];
    if (session.results?.length !== 1 || !result || result.provider_id !== target.provider) {
      throw new Error(`the session completed with unexpected results: ${JSON.stringify(session.results)}`);
    }
    return {
      latencyMs: resultAt - callbackDoneAt,
      grantId: result.grant_id,
      accountIdentifier: result.account_identifier,
    };
  };
}

/** One JSON call to the vault's API with the app's key, as an app without the SDK makes it. */
async function vaultJson<T>(
  target: VaultTarget,
  method: "GET" | "POST",
  path: string,
  options: { signal: AbortSignal; body?: unknown },
): Promise<T> {
  const response = await fetch(`${target.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${target.apiKey}`,
      accept: "application/json",
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
    },
    signal: options.signal,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
