/**
 * bench:ann's data sets and their exact answers: the `Dataset` every
 * section runs on, a float64 brute-force top-k (unfiltered and per filter
 * mask), and recall against it.
 */
import type { PeerDataset } from '../peers/types.js';
import { log } from './config.js';

/** `queryArrays`: the queries as number[] for hnswlib-node (converted once, outside every timed loop). */
export interface Dataset extends PeerDataset {
  /** Exact top-k labels per query (unfiltered). */
  truth: Int32Array[];
  truthSource: string;
}

/**
 * Float64 brute force: for every query, the top-k labels among all rows
 * and among the rows each mask allows. Cosine divides by both norms.
 */
export function bruteForce(
  base: Float32Array, dim: number, metric: 'l2' | 'cosine', queries: Float32Array[], k: number,
  masks: (Uint8Array | null)[], what: string,
): Int32Array[][] {
  const count = base.length / dim;
  const inverseNorms = new Float64Array(count);
  if (metric === 'cosine') {
    for (let i = 0; i < count; i++) {
      let sum = 0;
      for (let d = 0; d < dim; d++) sum += base[i * dim + d]! * base[i * dim + d]!;
      inverseNorms[i] = 1 / Math.sqrt(sum);
    }
  }
  const out: Int32Array[][] = masks.map(() => []);
  const scores = new Float64Array(count);
  const q64 = new Float64Array(dim);
  const step = Math.max(1, Math.floor(queries.length / 4));
  for (let qi = 0; qi < queries.length; qi++) {
    const q = queries[qi]!;
    for (let d = 0; d < dim; d++) q64[d] = q[d]!;
    for (let i = 0; i < count; i++) {
      const row = i * dim;
      let s = 0;
      if (metric === 'cosine') {
        for (let d = 0; d < dim; d++) s += q64[d]! * base[row + d]!;
        scores[i] = s * inverseNorms[i]!;
      } else {
        for (let d = 0; d < dim; d++) {
          const diff = q64[d]! - base[row + d]!;
          s += diff * diff;
        }
        scores[i] = -s;
      }
    }
    masks.forEach((mask, m) => out[m]!.push(selectTopK(scores, k, mask)));
    if ((qi + 1) % step === 0) log(`${what}: brute-force ground truth ${Math.round(((qi + 1) / queries.length) * 100)}%`);
  }
  return out;
}

/** Labels of the k highest scores among those the mask allows, best first (ties: lower label first). */
function selectTopK(scores: Float64Array, k: number, mask: Uint8Array | null): Int32Array {
  const topScores = new Float64Array(k).fill(-Infinity);
  const topLabels = new Int32Array(k).fill(-1);
  let filled = 0;
  for (let i = 0; i < scores.length; i++) {
    if (mask && mask[i] !== 1) continue;
    const s = scores[i]!;
    if (filled === k && s <= topScores[k - 1]!) continue;
    let j = filled < k ? filled++ : k - 1;
    while (j > 0 && topScores[j - 1]! < s) {
      topScores[j] = topScores[j - 1]!;
      topLabels[j] = topLabels[j - 1]!;
      j--;
    }
    topScores[j] = s;
    topLabels[j] = i;
  }
  return topLabels.subarray(0, filled);
}

/** |got ∩ truth| / |truth| (truth of at most k labels). */
export function recallOf(got: ArrayLike<number>, truth: ArrayLike<number>): number {
  if (truth.length === 0) return 1;
  const set = new Set<number>(Array.from(truth));
  let hits = 0;
  for (let i = 0; i < got.length; i++) if (set.has(got[i]!)) hits++;
  return hits / truth.length;
}
