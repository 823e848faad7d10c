/**
 * A query's terms and BM25 weights, and BM25 by lookup: one doc's score
 * from a binary search per query term in the doc's segment (for `score`,
 * and for a filter that allows few labels), summed with the arithmetic of
 * max-score.ts so the two agree to the bit.
 */
import { MAX_QUERY_TERMS } from '../../options.js';
import type { BufferSegment } from './buffer.js';
import type { Dictionary } from './dictionary.js';
import type { MainSegment } from './segment.js';

/** A parsed query: distinct known terms in query order with their weights' qtf. */
export interface Query {
  terms: Int32Array;
  counts: Int32Array;
}

/** Distinct known terms of `tokens` in first-occurrence order, with their counts. */
export function parseQuery(dict: Dictionary, tokens: readonly string[]): Query {
  const positions = new Map<number, number>();
  const terms: number[] = [];
  const counts: number[] = [];
  for (const token of tokens) {
    const t = dict.ids.get(token);
    if (t === undefined || dict.df[t] === 0) continue;
    const at = positions.get(t);
    if (at !== undefined) {
      counts[at]!++;
    } else if (terms.length < MAX_QUERY_TERMS) {
      positions.set(t, terms.length);
      terms.push(t);
      counts.push(1);
    }
  }
  return { terms: Int32Array.from(terms), counts: Int32Array.from(counts) };
}

/**
 * qtf * idf * (k1 + 1) per query term, with Lucene's idf over `live` docs;
 * `termDf(i)` is the df of the query's i-th term.
 */
export function queryWeights(query: Query, termDf: (i: number) => number, live: number, k1: number): Float64Array {
  return Float64Array.from(query.terms, (_, i) => {
    const df = termDf(i);
    return query.counts[i]! * Math.log(1 + (live - df + 0.5) / (df + 0.5)) * (k1 + 1);
  });
}

/** One doc's score (`docLen` its length), summed in query order. */
export function scoreDoc(
  main: MainSegment, buffer: BufferSegment, query: Query, weights: Float64Array, doc: number, docLen: number, k1mb: number, k1bOverAvg: number,
): number {
  const norm = k1mb + k1bOverAvg * docLen;
  let score = 0;
  for (let j = 0; j < query.terms.length; j++) {
    const t = query.terms[j]!;
    const tf = doc >= main.docCount ? buffer.tf(t, doc) : main.tf(t, doc);
    if (tf > 0) score += (weights[j]! * tf) / (tf + norm);
  }
  return score;
}
