import { UsageError } from "./output.js";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** `--expires-in 30d` (s, m, h, d or w) as milliseconds. */
export function durationMs(value: string, option: string): number {
  const match = /^([1-9][0-9]{0,5})([smhdw])$/.exec(value.trim());
  if (!match?.[1] || !match[2]) {
    throw new UsageError(`${option}: "${value}" is not a duration: a number and s, m, h, d or w, e.g. 30d`);
  }
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
