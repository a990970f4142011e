import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { readOwnerOnlyFile, writeOwnerOnlyFile } from "../owner-only-file.js";

/** The demo provider's secrets, kept so that what it issued stays valid across restarts. */
export interface DemoSecrets {
  /** The vault's client secret at the demo provider. */
  clientSecret: string;
  /** Sign the provider's browser-session cookies. */
  cookieKeys: string[];
  /** Private JWKs that sign its ID tokens (a restart must not change the key the vault saw). */
  signingKeys: Record<string, unknown>[];
}

export const DEMO_SECRETS_FILE = "secrets.json";

const stored = z.object({
  clientSecret: z.string().min(16),
  cookieKeys: z.array(z.string().min(16)).min(1),
  signingKeys: z.array(z.record(z.string(), z.unknown())).min(1),
});

/**
 * Reads `<dir>/secrets.json`, or creates it (mode 0600, written atomically) on the first start.
 * `dir` must exist, owner-only.
 */
export async function loadOrCreateDemoSecrets(dir: string): Promise<DemoSecrets> {
  const path = join(dir, DEMO_SECRETS_FILE);
  const existing = await readSecrets(path);
  if (existing) return existing;
  const secrets = newSecrets();
  await writeOwnerOnlyFile(path, `${JSON.stringify(secrets, null, 2)}\n`);
  return secrets;
}

async function readSecrets(path: string): Promise<DemoSecrets | null> {
  const text = await readOwnerOnlyFile(path);
  if (text === null) return null;
  let parsed: ReturnType<typeof stored.safeParse>;
  try {
    parsed = stored.safeParse(JSON.parse(text));
  } catch {
    parsed = stored.safeParse(undefined);
  }
  if (!parsed.success) {
    // Never echo the file: it holds secrets.
    throw new Error(
      `${path} is not a demo provider secrets file; delete its folder to start the demo provider afresh (demo grants must then be connected again)`,
    );
  }
  return parsed.data;
}

function newSecrets(): DemoSecrets {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `demo-${randomBytes(6).toString("hex")}`;
  return {
    clientSecret: randomBytes(24).toString("base64url"),
    cookieKeys: [randomBytes(32).toString("hex")],
    signingKeys: [{ ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" }],
  };
}
