/** Summary of one mode's latencies, in ms. */
export interface LatencySummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

/**
 * Nearest-rank percentiles (each one is a measured value, never an interpolation). With few samples
 * the high ones are the largest values: for n ≤ 100, p99 is the maximum.
 */
export function summarize(values: readonly number[]): LatencySummary | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const percentile = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return {
    n: sorted.length,
    p50: percentile(50),
    p90: percentile(90),
    p99: percentile(99),
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
    max: sorted[sorted.length - 1] as number,
  };
}
