/**
 * Metrics and Quiver's one score convention: higher = closer.
 * | metric | stored vector       | score                          |
 * |--------|---------------------|--------------------------------|
 * | cosine | normalised at insert| cosine similarity, in [-1, 1]  |
 * | dot    | as given            | dot product                    |
 * | l2     | as given            | negated squared L2 distance    |
 */
import { KERNEL_DOT, KERNEL_L2, type KernelMetric } from './kernels.js';
import type { Metric } from './options.js';

export function kernelMetric(metric: Metric): KernelMetric {
  return metric === 'l2' ? KERNEL_L2 : KERNEL_DOT;
}

export function normalizesAtInsert(metric: Metric): boolean {
  return metric === 'cosine';
}

/** Scales `vector` to unit length in place and returns it (the caller has rejected zero vectors). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const inverse = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * inverse;
  return vector;
}
