// Batch kernels: one query against a contiguous block of rows, either writing
// every score to an output buffer or keeping only the top k. Scores follow
// Quiver's convention, higher = closer: dot for dot and (pre-normalised)
// cosine, negated squared L2 for l2.
import { dotSimd, l2sqSimd, dotI8Simd, dotI8Simd4 } from './distance';
import { dotScalar, l2sqScalar } from './scalar';
import { offer, threshold, sortBestFirst, push, cutToBest, finishBuffer } from './topk';

export const METRIC_DOT: i32 = 0;
export const METRIC_L2: i32 = 1;

// @ts-ignore: decorator
@inline function allowed(bitset: usize, i: i32): bool {
  return bitset == 0 || ((load<u32>(bitset + (<usize>(i >>> 5) << 2)) >>> (i & 31)) & 1) != 0;
}

export function scoreBatch(metric: i32, query: usize, base: usize, count: i32, dim: i32, out: usize): void {
  const stride = <usize>dim << 2;
  let row = base;
  if (metric == METRIC_L2) {
    for (let i = 0; i < count; i++, row += stride) store<f32>(out + (<usize>i << 2), <f32>0 - l2sqSimd(query, row, dim));
  } else {
    for (let i = 0; i < count; i++, row += stride) store<f32>(out + (<usize>i << 2), dotSimd(query, row, dim));
  }
}

export function scoreBatchScalar(metric: i32, query: usize, base: usize, count: i32, dim: i32, out: usize): void {
  const stride = <usize>dim << 2;
  let row = base;
  if (metric == METRIC_L2) {
    for (let i = 0; i < count; i++, row += stride) store<f32>(out + (<usize>i << 2), <f32>0 - l2sqScalar(query, row, dim));
  } else {
    for (let i = 0; i < count; i++, row += stride) store<f32>(out + (<usize>i << 2), dotScalar(query, row, dim));
  }
}

/**
 * Offers the rows of one block (`count` rows of `base`) to a top-k heap of
 * `size` entries at `outScores` / `outLabels`, skipping rows whose bit is
 * clear in `bitset` (0 = every row); row i is offered as label
 * `labelBase + i`. Returns the heap's new size (at most k). Calls over
 * several blocks build one heap (a collection's rows lie in chunks, see
 * src/core/vector); `sortHeap` then orders it best first.
 */
export function topkScan(
  metric: i32, query: usize, base: usize, count: i32, dim: i32,
  bitset: usize, k: i32, outLabels: usize, outScores: usize, size: i32, labelBase: i32,
): i32 {
  const stride = <usize>dim << 2;
  let bar = threshold(outScores, size, k);
  let row = base;
  if (metric == METRIC_L2) {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const score = <f32>0 - l2sqSimd(query, row, dim);
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, labelBase + i);
      bar = threshold(outScores, size, k);
    }
  } else {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const score = dotSimd(query, row, dim);
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, labelBase + i);
      bar = threshold(outScores, size, k);
    }
  }
  return size;
}

/** Orders a heap built by `topkScan` or `topkLabels` best first, in place. */
export function sortHeap(outLabels: usize, outScores: usize, size: i32): void {
  sortBestFirst(outScores, outLabels, size);
}

/**
 * Offers the `n` rows listed in `labels` (i32) to a top-k heap of `size`
 * entries, e.g. a filter's candidates or a re-rank set; returns its new
 * size. Row `label` lies at `table[label >>> shift] + (label & (2^shift - 1)) * dim * 4`:
 * `table` (u32) holds the start of each chunk of 2^shift rows, so one call
 * reads rows from every chunk in this memory (callers list only those).
 */
export function topkLabels(
  metric: i32, query: usize, table: usize, shift: i32, dim: i32,
  labels: usize, n: i32, k: i32, outLabels: usize, outScores: usize, size: i32,
): i32 {
  const stride = <usize>dim << 2;
  const mask = shift >= 31 ? 0x7fffffff : (1 << shift) - 1;
  let bar = threshold(outScores, size, k);
  for (let j = 0; j < n; j++) {
    const label = load<i32>(labels + (<usize>j << 2));
    const chunk = <usize>load<u32>(table + (<usize>(<u32>label >>> shift) << 2));
    const row = chunk + <usize>(label & mask) * stride;
    const score = metric == METRIC_L2 ? <f32>0 - l2sqSimd(query, row, dim) : dotSimd(query, row, dim);
    if (score < bar) continue;
    size = offer(outScores, outLabels, size, k, score, label);
    bar = threshold(outScores, size, k);
  }
  return size;
}

/** Top k of `n` precomputed scores (f32 at `scores`); labels are the indexes. */
export function selectTopK(scores: usize, n: i32, k: i32, outLabels: usize, outScores: usize): i32 {
  let size = 0;
  for (let i = 0; i < n; i++) {
    size = offer(outScores, outLabels, size, k, load<f32>(scores + (<usize>i << 2)), i);
  }
  sortBestFirst(outScores, outLabels, size);
  return size;
}

/** The four scores of a block whose lanes beat the bar, read back one lane at a time. */
const BLOCK_SCORES = memory.data(16, 16);

/**
 * int8 top-k scan. Rows are `paddedDim` bytes; the query is widened to int16.
 * The approximate dot product is `offset + scale * idot` (see quantize.ts);
 * for l2, `norms` holds each row's squared f32 norm and the score is
 * -(norm - 2 * dot), the squared distance less the query's constant norm.
 *
 * Rows go four at a time: one i32x4 of integer dots, scored in f32x4 and
 * compared with the current bar in one step, so the per-row work outside
 * the dot product is a fraction of an instruction until a row beats the bar.
 * The shortlist is large (k * rerank), so candidates go to a buffer of 2k
 * slots cut by quickselect (see topk.ts) rather than through a heap:
 * `outLabels` and `outScores` need room for 2k entries, and `outCapacity`
 * says how many they have (fewer aborts instead of writing past them).
 *
 * One buffer spans several calls, one per block of rows: pass the `size`
 * returned and the bar `lastBar()` gives (0 and -Infinity to start); row i
 * is offered as label `labelBase + i`. `finishI8` then cuts the buffer to
 * its k best, sorted best first.
 */
export function topkScanI8(
  metric: i32, query16: usize, rows: usize, count: i32, paddedDim: i32,
  scale: f32, offset: f32, norms: usize,
  bitset: usize, k: i32, outLabels: usize, outScores: usize, outCapacity: i32,
  size: i32, bar: f32, labelBase: i32,
): i32 {
  // Not assert(): release builds drop asserts, and this one guards the module's own heap.
  if (outCapacity < k << 1) abort('topkScanI8: output buffers need room for 2k entries');
  const stride = <usize>paddedDim;
  const l2 = metric == METRIC_L2;
  // l2: 2 * (offset + scale * idot) - norm; dot metrics: offset + scale * idot.
  // Blocks and the tail compute the same f32 operations in the same order.
  const factorScalar: f32 = l2 ? <f32>2 * scale : scale;
  const shiftScalar: f32 = l2 ? <f32>2 * offset : offset;
  const factor = f32x4.splat(factorScalar);
  const shift = f32x4.splat(shiftScalar);
  if (k <= 0) return 0;
  const capacity = k << 1;
  let row = rows;
  const blockEnd = count & ~3;
  let i = 0;
  for (; i < blockEnd; i += 4, row += stride << 2) {
    let scores = f32x4.add(shift, f32x4.mul(factor, f32x4.convert_i32x4_s(dotI8Simd4(row, stride, query16, paddedDim))));
    if (l2) scores = f32x4.sub(scores, v128.load(norms + (<usize>i << 2)));
    let lanes = i32x4.bitmask(f32x4.ge(scores, f32x4.splat(bar)));
    if (lanes == 0) continue;
    v128.store(BLOCK_SCORES, scores);
    for (; lanes != 0; lanes &= lanes - 1) {
      const lane = ctz(lanes);
      const label = i + lane;
      const score = load<f32>(BLOCK_SCORES + (<usize>lane << 2));
      if (score < bar || !allowed(bitset, label)) continue;
      if (size == capacity) {
        bar = cutToBest(outScores, outLabels, size, k);
        size = k;
        if (score < bar) continue;
      }
      size = push(outScores, outLabels, size, score, labelBase + label);
    }
  }
  for (; i < count; i++, row += stride) {
    if (!allowed(bitset, i)) continue;
    let score: f32 = shiftScalar + factorScalar * <f32>dotI8Simd(row, query16, paddedDim);
    if (l2) score -= load<f32>(norms + (<usize>i << 2));
    if (score < bar) continue;
    if (size == capacity) {
      bar = cutToBest(outScores, outLabels, size, k);
      size = k;
      if (score < bar) continue;
    }
    size = push(outScores, outLabels, size, score, labelBase + i);
  }
  scanBar = bar;
  return size;
}

/** The bar the last `topkScanI8` call ended with: pass it to the next call over the same buffer. */
let scanBar: f32 = -Infinity;

export function lastBar(): f32 {
  return scanBar;
}

/** Cuts a buffer filled by `topkScanI8` to its k best, sorted best first; returns how many remain. */
export function finishI8(outLabels: usize, outScores: usize, size: i32, k: i32): i32 {
  return finishBuffer(outScores, outLabels, size, k);
}

/** Integer dot products of the query against `count` int8 rows, written as i32. */
export function scoreBatchI8(query16: usize, rows: usize, count: i32, paddedDim: i32, out: usize): void {
  const stride = <usize>paddedDim;
  let row = rows;
  let i = 0;
  for (; i < (count & ~3); i += 4, row += stride << 2) {
    v128.store(out + (<usize>i << 2), dotI8Simd4(row, stride, query16, paddedDim));
  }
  for (; i < count; i++, row += stride) store<i32>(out + (<usize>i << 2), dotI8Simd(row, query16, paddedDim));
}
