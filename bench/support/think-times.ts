/**
 * The users' think times (FlowSpec.thinkMs) for `flows` flows: evenly spread over [0, spreadMs)
 * — stratified, so even 30 flows cover the interval uniformly — and handed out in shuffled order.
 * The shuffle matters: how long the scripted user agent takes depends on what else runs at the
 * time (concurrent flows, machine load), and in flow order those conditions are correlated with
 * the think time; shuffled, the moment the callback lands stays uniform over a poll interval.
 * The shuffle is seeded, so every run hands out the same order.
 */
export function thinkTimes(flows: number, spreadMs: number): number[] {
  const times = Array.from({ length: flows }, (_, index) => ((index + 0.5) / flows) * spreadMs);
  const random = mulberry32(0x9e3779b9);
  for (let i = times.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [times[i], times[j]] = [times[j] as number, times[i] as number];
  }
  return times;
}

/** A small seeded PRNG (Mulberry32): reproducible, and plenty for a shuffle. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
