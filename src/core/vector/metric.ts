/**
 * Metrics and Quiver's one score convention: higher = closer.
 * | metric | stored vector       | score                          |
 * |--------|---------------------|--------------------------------|
 * | cosine | normalised at insert| cosine similarity, in [-1, 1]  |
 * | dot    | as given            | dot product                    |
 * | l2     | as given            | negated squared L2 distance    |
 */
import { KERNEL_DOT, KERNEL_L2, type KernelMetric } from './wasm-heap.js';
import type { Metric } from '../options.js';

export function kernelMetric(metric: Metric): KernelMetric {
  return metric === 'l2' ? KERNEL_L2 : KERNEL_DOT;
}

export function normalizesAtInsert(metric: Metric): boolean {
  return metric === 'cosine';
}

/**
 * Writes `vector` scaled to unit length into `out` (by default `vector`
 * itself) and returns `out`; the caller has rejected zero vectors.
 */
export function normalize(vector: Float32Array, out: Float32Array = vector): Float32Array {
  // Four sums instead of one chain of dependent additions: 305 -> 258 ns with the copy, at dimension 128.
  let sum0 = 0;
  let sum1 = 0;
  let sum2 = 0;
  let sum3 = 0;
  const quads = vector.length & ~3;
  for (let i = 0; i < quads; i += 4) {
    const a = vector[i]!;
    const b = vector[i + 1]!;
    const c = vector[i + 2]!;
    const d = vector[i + 3]!;
    sum0 += a * a;
    sum1 += b * b;
    sum2 += c * c;
    sum3 += d * d;
  }
  for (let i = quads; i < vector.length; i++) sum0 += vector[i]! * vector[i]!;
  const inverse = 1 / Math.sqrt(sum0 + sum1 + sum2 + sum3);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * inverse;
  return out;
}
