import type { Ranked } from '../ranked.js';
/**
 * Hybrid fusion: pure functions from ranked lists to one ranked list.
 *
 * relativeScore (after Weaviate's relativeScoreFusion): each side's scores
 * are min-max normalised, (s - min) / (max - min), then fused = alpha *
 * vector + (1 - alpha) * keyword. alpha = 1 is pure vector, alpha = 0 pure
 * keyword. Uses the scores themselves. Unlike Weaviate, which normalises
 * each side over its own result list and gives a candidate missing from a
 * list 0, here every candidate of the union carries both scores (computed
 * exactly by the caller) and each side is normalised over the union, so a
 * document found by one side only is still ranked on both. When a side's
 * scores are all equal (max = min) they carry no order: a side with a real
 * match there (keyword score > 0, or any vector score) normalises to 1,
 * otherwise 0. Ties in the fused score go to the side alpha favours.
 *
 * rrf (Cormack, Clarke and Buettcher, SIGIR 2009): fused = sum over lists of
 * weight / (k + rank), rank from 1, k = DEFAULT_RRF_K, weights 2 * alpha for
 * the vector list and 2 * (1 - alpha) for the keyword list, so alpha 0.5 is
 * plain RRF (weights 1). Only the order matters; a candidate absent from a
 * list gets nothing from it.
 *
 * Both return every candidate, best first; remaining ties go to the lower label.
 */

/** Qdrant, Elasticsearch and the original paper use 60. */
export const DEFAULT_RRF_K = 60;
/** Weight of the vector side in relativeScore fusion when none is given. */
export const DEFAULT_ALPHA = 0.5;

export interface Candidates {
  /** Candidate labels; the two score arrays are parallel to it. */
  labels: Int32Array;
  vectorScores: Float32Array;
  /** BM25 scores; 0 means no query term occurs in the document. */
  keywordScores: Float32Array;
}

export function relativeScoreFusion(candidates: Candidates, alpha: number): Ranked<Int32Array, Float64Array> {
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
  const vector = normalise(candidates.vectorScores, () => true);
  const keyword = normalise(candidates.keywordScores, (score) => score > 0);
  const scores = new Float64Array(candidates.labels.length);
  for (let i = 0; i < scores.length; i++) scores[i] = alpha * vector[i]! + (1 - alpha) * keyword[i]!;
  return rank(candidates.labels, scores, alpha >= 0.5 ? vector : keyword);
}

/**
 * `rankings` are each side's labels best first (a prefix of its retrieval),
 * `weights` one per ranking (default 1 each); the result holds every label
 * that appears in any of them.
 */
export function reciprocalRankFusion(rankings: readonly ArrayLike<number>[], k = DEFAULT_RRF_K, weights?: readonly number[]): Ranked<Int32Array, Float64Array> {
  if (!(k > 0)) throw new RangeError(`rrf k must be positive, got ${k}`);
  if (weights !== undefined && weights.length !== rankings.length) {
    throw new RangeError(`rrf needs one weight per ranking: ${rankings.length} rankings, ${weights.length} weights`);
  }
  const fused = new Map<number, number>();
  rankings.forEach((ranking, list) => {
    const weight = weights?.[list] ?? 1;
    for (let index = 0; index < ranking.length; index++) {
      const label = ranking[index]!;
      fused.set(label, (fused.get(label) ?? 0) + weight / (k + index + 1));
    }
  });
  return rank(Int32Array.from(fused.keys()), Float64Array.from(fused.values()));
}

/** Min-max normalisation to [0, 1]; see the file header for equal scores. */
export function normalise(scores: Float32Array, matched: (score: number) => boolean): Float64Array {
  let min = Infinity;
  let max = -Infinity;
  for (const score of scores) {
    if (score < min) min = score;
    if (score > max) max = score;
  }
  const out = new Float64Array(scores.length);
  const range = max - min;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    out[i] = range > 0 ? (score - min) / range : matched(score) ? 1 : 0;
  }
  return out;
}

function rank(labels: Int32Array, scores: Float64Array, tiebreak?: Float64Array): Ranked<Int32Array, Float64Array> {
  const order = Array.from(labels.keys()).sort(
    (a, b) => scores[b]! - scores[a]! || (tiebreak ? tiebreak[b]! - tiebreak[a]! : 0) || labels[a]! - labels[b]!,
  );
  return { labels: Int32Array.from(order, (i) => labels[i]!), scores: Float64Array.from(order, (i) => scores[i]!) };
}
