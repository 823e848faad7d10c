/**
 * A posting cursor: one query term's postings in one segment, its weight
 * and block bounds, and where the MaxScore search (max-score.ts) is in
 * them; `advance` skips ahead by galloping.
 */

/** One query term's postings in one segment, and where the search is in them. */
export class Cursor {
  readonly docs: Int32Array;
  readonly tfs: Uint16Array;
  readonly start: number;
  readonly end: number;
  readonly blockMax: Float64Array;
  readonly blockBase: number;
  /** qtf * idf * (k1 + 1). */
  readonly weight: number;
  /** weight * max(1, avgdl / A0): times a block maximum, the block's score bound. */
  readonly boundWeight: number;
  /** Position of the term in the query: where its score goes in the per-doc sum. */
  readonly term: number;
  pos: number;
  /** Current block, relative to the term's first. */
  block = 0;
  /** Score bound of the current block. */
  bound = 0;

  constructor(docs: Int32Array, tfs: Uint16Array, start: number, end: number, blockMax: Float64Array, blockBase: number, weight: number, boundWeight: number, term: number) {
    this.docs = docs;
    this.tfs = tfs;
    this.start = start;
    this.end = end;
    this.blockMax = blockMax;
    this.blockBase = blockBase;
    this.weight = weight;
    this.boundWeight = boundWeight;
    this.term = term;
    this.pos = start;
  }
}

/** Moves `c.pos` to the first posting at or after `doc` (galloping, then binary search). */
export function advance(c: Cursor, doc: number): void {
  const docs = c.docs;
  let lo = c.pos;
  const end = c.end;
  if (lo >= end || docs[lo]! >= doc) return;
  let step = 1;
  let hi = lo + 1;
  while (hi < end && docs[hi]! < doc) {
    lo = hi;
    step <<= 1;
    hi = lo + step;
  }
  if (hi > end) hi = end;
  // docs[lo] < doc; the answer is in (lo, hi].
  lo++;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < doc) lo = mid + 1;
    else hi = mid;
  }
  c.pos = lo;
}
