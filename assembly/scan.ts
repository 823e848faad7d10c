// Batch kernels: one query against a contiguous block of rows, either writing
// every score to an output buffer or keeping only the top k. Scores follow
// Quiver's convention, higher = closer: dot for dot and (pre-normalised)
// cosine, negated squared L2 for l2.
import { dotSimd, l2sqSimd, dotI8Simd } from './distance';
import { dotScalar, l2sqScalar } from './scalar';
import { offer, threshold, sortBestFirst } from './topk';

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
 * Top k rows of `base` for `query`, skipping rows whose bit is clear in
 * `bitset` (0 = every row). Writes best-first labels and scores; returns
 * how many were found (at most k).
 */
export function topkScan(
  metric: i32, query: usize, base: usize, count: i32, dim: i32,
  bitset: usize, k: i32, outLabels: usize, outScores: usize,
): i32 {
  const stride = <usize>dim << 2;
  let size = 0;
  let bar: f32 = -Infinity;
  let row = base;
  if (metric == METRIC_L2) {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const score = <f32>0 - l2sqSimd(query, row, dim);
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, i);
      bar = threshold(outScores, size, k);
    }
  } else {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const score = dotSimd(query, row, dim);
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, i);
      bar = threshold(outScores, size, k);
    }
  }
  sortBestFirst(outScores, outLabels, size);
  return size;
}

/** Top k among the `n` rows listed in `labels` (i32), e.g. a filter's candidates or a re-rank set. */
export function topkLabels(
  metric: i32, query: usize, base: usize, dim: i32,
  labels: usize, n: i32, k: i32, outLabels: usize, outScores: usize,
): i32 {
  const stride = <usize>dim << 2;
  let size = 0;
  let bar: f32 = -Infinity;
  for (let j = 0; j < n; j++) {
    const label = load<i32>(labels + (<usize>j << 2));
    const row = base + <usize>label * stride;
    const score = metric == METRIC_L2 ? <f32>0 - l2sqSimd(query, row, dim) : dotSimd(query, row, dim);
    if (score < bar) continue;
    size = offer(outScores, outLabels, size, k, score, label);
    bar = threshold(outScores, size, k);
  }
  sortBestFirst(outScores, outLabels, size);
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

/**
 * int8 top-k scan. Rows are `paddedDim` bytes; the query is widened to int16.
 * The approximate dot product is `offset + scale * idot` (see quantize.ts);
 * for l2, `norms` holds each row's squared f32 norm and the score is
 * -(norm - 2 * dot), the squared distance less the query's constant norm.
 */
export function topkScanI8(
  metric: i32, query16: usize, rows: usize, count: i32, paddedDim: i32,
  scale: f32, offset: f32, norms: usize,
  bitset: usize, k: i32, outLabels: usize, outScores: usize,
): i32 {
  const stride = <usize>paddedDim;
  let size = 0;
  let bar: f32 = -Infinity;
  let row = rows;
  if (metric == METRIC_L2) {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const dot = offset + scale * <f32>dotI8Simd(row, query16, paddedDim);
      const score: f32 = <f32>2 * dot - load<f32>(norms + (<usize>i << 2));
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, i);
      bar = threshold(outScores, size, k);
    }
  } else {
    for (let i = 0; i < count; i++, row += stride) {
      if (!allowed(bitset, i)) continue;
      const score = offset + scale * <f32>dotI8Simd(row, query16, paddedDim);
      if (score < bar) continue;
      size = offer(outScores, outLabels, size, k, score, i);
      bar = threshold(outScores, size, k);
    }
  }
  sortBestFirst(outScores, outLabels, size);
  return size;
}

/** Integer dot products of the query against `count` int8 rows, written as i32. */
export function scoreBatchI8(query16: usize, rows: usize, count: i32, paddedDim: i32, out: usize): void {
  let row = rows;
  for (let i = 0; i < count; i++, row += <usize>paddedDim) {
    store<i32>(out + (<usize>i << 2), dotI8Simd(row, query16, paddedDim));
  }
}
