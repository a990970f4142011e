import { github } from "./github.js";
import { gitlab } from "./gitlab.js";
import { google } from "./google.js";
import { microsoft } from "./microsoft.js";
import { notion } from "./notion.js";
import { slack } from "./slack.js";
import type { CatalogEntry } from "./types.js";

/** Every well-known provider, keyed by its catalog `name`. */
export const CATALOG: Readonly<Record<string, CatalogEntry>> = Object.freeze(
  Object.fromEntries([github, google, microsoft, slack, gitlab, notion].map((entry) => [entry.name, entry])),
);

export function getCatalogEntry(name: string): CatalogEntry | undefined {
  return Object.hasOwn(CATALOG, name) ? CATALOG[name] : undefined;
}

/** The catalog names, sorted. */
export function catalogNames(): string[] {
  return Object.keys(CATALOG).sort();
}
