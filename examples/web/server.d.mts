/** Types of server.mjs (the example is plain JavaScript; the tests start it in-process). */
export interface ExampleOptions {
  /** The vault API key; default GRANTVAULT_API_KEY, else the local vault's credentials file. */
  apiKey?: string;
  /** Default GRANTVAULT_URL, else the local vault's, else http://127.0.0.1:7400. */
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
  /** The vault it uses. */
  vaultUrl: string;
  close(): Promise<void>;
}

export function startExample(options?: ExampleOptions): Promise<RunningExample>;
