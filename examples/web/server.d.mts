/** Types of server.mjs (the example is plain JavaScript; the tests start it in-process). */
export interface ExampleOptions {
  /** The vault API key; default GRANTVAULT_API_KEY. */
  apiKey?: string;
  /** Default GRANTVAULT_URL, else http://127.0.0.1:7400. */
  vaultUrl?: string;
  /** Default HOST, else 127.0.0.1. */
  host?: string;
  /** Default PORT, else 3000; 0 picks a free port. */
  port?: number;
  /** Provider ids the user may choose from; default PROVIDERS, else every provider the vault offers. */
  providers?: string[];
}

export interface RunningExample {
  /** The example's origin: the allowed origin of every session it creates. */
  origin: string;
  close(): Promise<void>;
}

export function startExample(options?: ExampleOptions): Promise<RunningExample>;
