import { readFile, stat } from "node:fs/promises";
import {
  type IdentityProviderConfig,
  type ProviderConfig,
  parseIdentityConfigs,
  parseProviderConfigs,
} from "./provider-config.js";

/** A providers file that cannot be used: every problem, each with its place. */
export class ProvidersFileError extends Error {
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`invalid providers file ${path}:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
    this.name = "ProvidersFileError";
  }
}

export interface ProvidersFile {
  providers: ProviderConfig[];
  identity: IdentityProviderConfig[];
}

/** Reads and validates a providers file (JSON). */
export async function loadProvidersFile(path: string): Promise<ProvidersFile> {
  let text: string;
  let mode: number;
  try {
    text = await readFile(path, "utf8");
    mode = (await stat(path)).mode;
  } catch (error) {
    throw new ProvidersFileError(path, [`cannot be read: ${(error as Error).message}`]);
  }
  // It holds client secrets in plaintext: the same rule as the master key file (F20c).
  if ((mode & 0o077) !== 0) {
    throw new ProvidersFileError(path, [
      `holds client secrets and is accessible by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProvidersFileError(path, [`is not valid JSON: ${(error as Error).message}`]);
  }
  const result = parseProviderConfigs(parsed);
  const identity = parseIdentityConfigs(parsed);
  const problems = [
    ...("problems" in result ? result.problems : []),
    ...("problems" in identity ? identity.problems : []),
  ];
  if ("problems" in result || "problems" in identity) throw new ProvidersFileError(path, problems);
  return { providers: result.providers, identity: identity.identity };
}
