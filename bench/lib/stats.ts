/**
 * The statistics every benchmark in bench/ uses: mean, sum, medians,
 * percentiles and a least-squares line. One definition each, so a figure
 * called p99 or median means the same thing in every benchmark's JSON.
 *
 * Two variants stay apart from the usual definitions because benchmarks
 * have published figures with them (changing them would change those
 * figures): `upperMedian` (bench/memory.bench.ts) and `percentileFloorRank`
 * (bench/scale.bench.ts).
 */

/** Arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** The median: the middle value, or the mean of the two middle values for an even count; NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The upper median: the value at index floor(n / 2) of the sorted values (the higher middle one for an even count). */
export function upperMedian(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Percentile by nearest rank of ascending `sorted`: the smallest value with
 * at least a fraction `p` (0..1) of the values at or below it. NaN for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/**
 * The value at index floor(p * n) of ascending `sorted` (one rank above
 * `percentile` where p * n is a whole number: p99 of 100 values is the
 * largest). bench/scale.bench.ts's latency percentiles. NaN for no values.
 */
export function percentileFloorRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

/** Least squares y = a + b x, with the coefficient of determination r². */
export function linearFit(xs: number[], ys: number[]): { a: number; b: number; r2: number } {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const b = sxy / sxx;
  return { a: my - b * mx, b, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}
