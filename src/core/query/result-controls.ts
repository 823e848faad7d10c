/**
 * What a search does with its ranked candidates before they become hits,
 * the same for every kind of search (vector, keyword, hybrid, filtered):
 * leave out examples and low scores (`minScore`), re-rank for diversity
 * (`mmr`) or gather into groups (`groupBy`), then skip a page (`offset`)
 * and keep k. The search ranks `poolSize` candidates first, so each
 * control has enough to choose from.
 */
import { createError } from '../errors.js';
import { GROUP_POOL_FACTOR, MAX_K, MAX_MMR_WORK } from '../options.js';

export type GroupValue = string | number | boolean;

/** The result controls of one search, checked. */
export interface Controls {
  offset: number;
  minScore: number | undefined;
  groupBy: { path: string; segments: readonly string[]; size: number } | undefined;
  mmr: { lambda: number; candidates: number; relevance: 'scaled' | 'score' } | undefined;
  /** Labels never returned: the examples of a search by example. */
  exclude: ReadonlySet<number> | undefined;
}

/** What the controls read of a candidate: its group value, and its stored vector. */
export interface CandidateFields {
  groupValues(labels: readonly number[], segments: readonly string[]): (GroupValue | undefined)[];
  vector(label: number): Float32Array;
}

/** The chosen hits, best first, with each one's group when grouped. */
export interface Controlled {
  labels: number[];
  scores: number[];
  groups: GroupValue[] | undefined;
  /** Candidates left after minScore (and the exclusions). */
  aboveMinScore: number;
}

/** How many ranked candidates a search with these controls needs for k hits. */
export function poolSize(controls: Controls, k: number): number {
  const excluded = controls.exclude?.size ?? 0;
  let pool = controls.offset + k;
  if (controls.groupBy) pool = (controls.offset + k) * controls.groupBy.size * GROUP_POOL_FACTOR;
  if (controls.mmr) pool = Math.max(pool, controls.offset + controls.mmr.candidates);
  return Math.min(MAX_K, pool + excluded);
}

/** The k hits `controls` choose from ranked candidates (best first). */
export function applyControls(
  labels: ArrayLike<number>, scores: ArrayLike<number>, k: number, controls: Controls, fields: CandidateFields,
): Controlled {
  let kept: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (controls.exclude?.has(labels[i]!)) continue;
    if (controls.minScore !== undefined && !(scores[i]! >= controls.minScore)) continue;
    kept.push(i);
  }
  const aboveMinScore = kept.length;
  if (controls.mmr) kept = mmrOrder(kept.slice(0, controls.mmr.candidates), labels, scores, controls.offset + k, controls.mmr, fields);
  if (controls.groupBy) return grouped(kept, labels, scores, k, controls, fields, aboveMinScore);
  const page = kept.slice(controls.offset, controls.offset + k);
  return { labels: page.map((i) => labels[i]!), scores: page.map((i) => scores[i]!), groups: undefined, aboveMinScore };
}

/**
 * Groups of hits by a metadata value, best group first (a group ranks by
 * its best hit, which comes first in it), `groupBy.size` hits each; the
 * page skips `offset` groups and keeps k.
 */
function grouped(
  order: readonly number[], labels: ArrayLike<number>, scores: ArrayLike<number>, k: number, controls: Controls, fields: CandidateFields, aboveMinScore: number,
): Controlled {
  const { segments, size } = controls.groupBy!;
  const values = fields.groupValues(order.map((i) => labels[i]!), segments);
  const groups = new Map<GroupValue, number[]>();
  const wanted = controls.offset + k;
  order.forEach((i, at) => {
    const value = values[at];
    if (value === undefined) return;
    let members = groups.get(value);
    if (members === undefined) {
      // Groups come in the order of their best hit: once enough exist, only fuller ones take more.
      if (groups.size >= wanted) return;
      members = [];
      groups.set(value, members);
    }
    if (members.length < size) members.push(i);
  });
  const out: Controlled = { labels: [], scores: [], groups: [], aboveMinScore };
  for (const [value, members] of [...groups].slice(controls.offset, wanted)) {
    for (const i of members) {
      out.labels.push(labels[i]!);
      out.scores.push(scores[i]!);
      out.groups!.push(value);
    }
  }
  return out;
}

/**
 * The first `count` of `order` (positions into labels/scores) picked by
 * maximal marginal relevance: each next pick maximises
 * lambda * relevance - (1 - lambda) * (highest cosine similarity to a pick),
 * relevance being the score scaled to 0..1 over the candidates, or the
 * score itself (`relevance: 'score'`: LangChain's MMR over cosine
 * similarity; LlamaIndex's penalises only the latest pick, and agrees on the
 * first two).
 */
function mmrOrder(
  order: readonly number[], labels: ArrayLike<number>, scores: ArrayLike<number>, count: number,
  { lambda, relevance: scale }: { lambda: number; relevance: 'scaled' | 'score' }, fields: CandidateFields,
): number[] {
  if (order.length === 0) return [];
  let low = Infinity;
  let high = -Infinity;
  for (const i of order) {
    low = Math.min(low, scores[i]!);
    high = Math.max(high, scores[i]!);
  }
  const relevance = order.map((i) => (scale === 'score' ? scores[i]! : high > low ? (scores[i]! - low) / (high - low) : 1));
  const unit = order.map((i) => unitCopy(fields.vector(labels[i]!)));
  /** Each candidate's highest similarity to a pick so far. */
  const closest = new Float64Array(order.length).fill(-Infinity);
  const picked = new Uint8Array(order.length);
  const out: number[] = [];
  for (let round = 0; round < Math.min(count, order.length); round++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let c = 0; c < order.length; c++) {
      if (picked[c]) continue;
      const penalty = round === 0 ? 0 : closest[c]!;
      const value = lambda * relevance[c]! - (1 - lambda) * penalty;
      // Ties keep the search's order: the earlier candidate wins.
      if (value > bestValue) {
        bestValue = value;
        best = c;
      }
    }
    picked[best] = 1;
    out.push(order[best]!);
    for (let c = 0; c < order.length; c++) {
      if (!picked[c]) closest[c] = Math.max(closest[c]!, dot(unit[c]!, unit[best]!));
    }
  }
  return out;
}

/** Throws LIMIT_EXCEEDED when an mmr re-rank would cost more than MAX_MMR_WORK. */
export function checkMmrWork(k: number, candidates: number, dimension: number): void {
  const work = k * candidates * dimension;
  if (work > MAX_MMR_WORK) {
    throw createError('LIMIT_EXCEEDED', 'MAX_MMR_WORK', 'mmr hits x candidates x dimension', work, MAX_MMR_WORK, 'ask for fewer hits or fewer mmr candidates');
  }
}

function unitCopy(vector: Float32Array): Float64Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return Float64Array.from(vector, (x) => x * scale);
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** The string, number or boolean at `segments` in a document's metadata, else undefined. */
export function groupValueOf(metadata: unknown, segments: readonly string[]): GroupValue | undefined {
  let value = metadata;
  for (const segment of segments) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
}
