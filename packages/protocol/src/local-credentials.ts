import { z } from "zod";

/**
 * The local credentials file: the contract between an embedded vault and the clients on the same
 * machine (both SDKs and both CLIs). On its first start the embedded default writes the first
 * app's key here, in its data directory, so a newcomer never has to copy a key; clients that are
 * given no key find it by walking up from their working directory, as git finds `.git`.
 * Production deployments configure clients through the environment and never write it.
 */

/** The embedded default's data directory, relative to where the server was started. */
export const LOCAL_DATA_DIR = ".grantvault";

/** Inside the data directory; mode 0600, like the key file next to it. */
export const LOCAL_CREDENTIALS_FILE = "credentials.json";

export const localCredentialsSchema = z.object({
  version: z.literal(1),
  /** The vault's public URL: the key is only ever sent there. */
  url: z.url({ protocol: /^https?$/ }),
  api_key: z.string().min(1),
  app_id: z.string().min(1),
  app_name: z.string().min(1),
});

export type LocalCredentials = z.infer<typeof localCredentialsSchema>;
