/**
 * Binary search over ascending Int32Arrays of labels (a list page's start,
 * a posting run's doc): one function for the engine's typed label lists.
 * The metadata index searches its sorted keys (numbers or strings, plain
 * arrays) with its own generic pair, `firstAtLeast` / `firstAbove`.
 */

/** First position in `values[from..to)` (ascending) holding a value >= `target`; `to` when none. */
export function lowerBound(values: Int32Array, target: number, from = 0, to = values.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
