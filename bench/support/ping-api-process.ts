import { startChild } from "./child-rpc.js";
import { startPingApi } from "./ping-api.js";

/** The bench's ping API (ping-api.ts), in this process or in its own; asynchronous, as the latter needs. */
export interface PingApiHandle {
  baseUrl: string;
  /** The OS process it runs in. */
  pid: number;
  /** Sets the one Authorization header value accepted; resolves once it is in force. */
  expect(authorization: string): Promise<void>;
  /** Requests answered so far, by outcome. */
  counts(): Promise<{ ok: number; refused: number }>;
  /** Its process's CPU time so far (user + system), in µs; null when that is the bench's own process. */
  cpuMicros(): Promise<number | null>;
  stop(): Promise<void>;
}

export async function startPingApiHandle(ownProcess: boolean): Promise<PingApiHandle> {
  if (!ownProcess) {
    const api = await startPingApi();
    return {
      baseUrl: api.baseUrl,
      pid: process.pid,
      expect: async (authorization) => api.expect(authorization),
      counts: async () => api.counts(),
      cpuMicros: async () => null,
      stop: () => api.stop(),
    };
  }
  const { child, started: baseUrl } = await startChild<string>(
    new URL("./ping-api-process-main.ts", import.meta.url),
    "the ping API process",
    null,
  );
  return {
    baseUrl,
    pid: child.pid,
    expect: (authorization) => child.call<void>("expect", authorization),
    counts: () => child.call<{ ok: number; refused: number }>("counts"),
    cpuMicros: () => child.call<number>("cpuMicros"),
    stop: () => child.stop(),
  };
}
