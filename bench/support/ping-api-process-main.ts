/** The bench's ping API (ping-api.ts) in its own OS process, driven by ping-api-process.ts. */
import { serveParent } from "./child-rpc.js";
import { type PingApi, startPingApi } from "./ping-api.js";

let api: PingApi | undefined;

const started = (): PingApi => {
  if (!api) throw new Error("not started");
  return api;
};

// Registered at once (before any await), so no message from the bench process is missed.
serveParent({
  async start() {
    api = await startPingApi();
    return api.baseUrl;
  },
  expect(authorization) {
    started().expect(authorization as string);
    return null;
  },
  counts: () => started().counts(),
  async stop() {
    await api?.stop();
    api = undefined;
  },
});
