/**
 * Labels with their scores, best first: what every index's search returns
 * (the exact kernels, the HNSW graph, BM25) and what fusion combines. One
 * concept under one name; its forms differ only in the arrays that carry it.
 */

/** An array or a typed array of numbers. */
type Sequence = ArrayLike<number> & Iterable<number>;

/** `labels[i]` scored `scores[i]`, best first. */
export interface Ranked<Labels extends Sequence = Sequence, Scores extends Sequence = Sequence> {
  labels: Labels;
  scores: Scores;
}

/** The typed form the kernels and the keyword index fill. */
export type RankedLabels = Ranked<Int32Array, Float32Array>;

export const EMPTY_RANKED: RankedLabels = Object.freeze({ labels: new Int32Array(0), scores: new Float32Array(0) });
