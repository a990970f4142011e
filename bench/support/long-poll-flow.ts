import { performance } from "node:perf_hooks";
import { Vault } from "../../packages/sdk/src/index.js";
import { type BrowserlessConnectResult, completeConnectBrowserless } from "./browserless-connect.js";
import { FLOW_TIME_LIMIT_MS, type FlowSample, type RunFlow, sleep } from "./flow.js";
import { UserSide } from "./user-side.js";

/**
 * Mode A: the app waits with the real SDK, `vault.connect()`, which long-polls the session; the
 * user side starts when the SDK reports the link (where a person would open it).
 */
export const longPollFlow: RunFlow = async (target, flow): Promise<FlowSample> => {
  const vault = new Vault({ apiKey: target.apiKey, baseUrl: target.baseUrl });
  const user = new UserSide<BrowserlessConnectResult>(flow.signal);
  let results: Awaited<ReturnType<Vault["connect"]>>;
  try {
    results = await vault.connect({
      providers: [target.provider],
      openBrowser: false,
      print: () => {},
      signal: user.signal,
      onWaiting: ({ connectUrl }) =>
        user.start(async (signal) => {
          await sleep(flow.thinkMs, signal);
          return completeConnectBrowserless(connectUrl, {
            provider: target.provider,
            login: flow.login,
            signal,
          });
        }),
    });
  } catch (error) {
    throw user.rootCause(error);
  }
  const resultAt = performance.now();
  const { callbackDoneAt } = await user.result();
  const [result] = results;
  if (results.length !== 1 || !result || result.providerId !== target.provider) {
    throw new Error(`connect() resolved with unexpected results: ${JSON.stringify(results)}`);
  }
  return {
    latencyMs: resultAt - callbackDoneAt,
    grantId: result.grantId,
    accountIdentifier: result.accountIdentifier,
  };
};

/**
 * One grant of the `idp` provider for the benches' calls, made by one long-poll connect flow as
 * `login` (within the flow time limit); its id.
 */
export async function connectIdpGrant(
  world: { baseUrl: string; apiKey: string },
  login: string,
): Promise<string> {
  const { grantId } = await longPollFlow(
    { baseUrl: world.baseUrl, apiKey: world.apiKey, provider: "idp" },
    { login, thinkMs: 0, signal: AbortSignal.timeout(FLOW_TIME_LIMIT_MS) },
  );
  return grantId;
}
