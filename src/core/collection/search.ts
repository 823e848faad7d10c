/**
 * A search from request to hits: the vector side (vector-search.ts), the
 * keyword side, hybrid fusion, the hits' fields and explain; in slices,
 * with turns of the event loop between them, for large reads.
 */
import type { RankedLabels, Ranked } from '../ranked.js';
import { MetadataLoader } from '../filter/metadata-loader.js';
import { DEFAULT_RRF_K, reciprocalRankFusion, relativeScoreFusion } from '../query/fusion.js';
import { normalize, normalizesAtInsert } from '../vector/metric.js';
import { READ_SLICE } from '../options.js';
import { FieldBudget } from '../query/read-budget.js';
import { CurrentLabels, keptAt, keptRanked } from '../query/current-labels.js';
import type { Explain, SearchHit, SearchRequest, SearchResult, SearchEvent } from '../api.js';
import { checkSearch, type CheckedSearch, type ShardSearch } from './checks.js';
import { type VectorOutcome, vectorSearch } from './vector-search.js';
import { applyControls, groupValueOf, type Controlled } from '../query/result-controls.js';
import { hitsOf, nextReadSlice, storedFields } from './read.js';

import type { CollectionState } from './state.js';

/** Unit-length query buffers kept for reuse: as many searches as usually overlap. */
export const MAX_POOLED_QUERIES = 16;

/** When an explained search's stages ended, and what its filter left. */
export interface SearchClock {
  started: number;
  filtered: number;
  total: number;
  candidates: number;
}

/** Each fused hit's vector and keyword scores, by label. */
export interface FusedParts {
  vector: Map<number, number>;
  keyword: Map<number, number>;
}

/** Elements `from` to `to` of a typed array (a view) or an array (a copy). */
export function sliceOf(values: ArrayLike<number>, from: number, to: number): ArrayLike<number> {
  return ArrayBuffer.isView(values) ? (values as Int32Array).subarray(from, to) : Array.prototype.slice.call(values, from, to);
}

/** What explain says of the plan: keyword (no vector side), the vector plan, or hybrid. */
export function planExplain(vector: VectorOutcome | undefined, checked: CheckedSearch): Omit<Explain, 'timings' | 'total' | 'candidates'> {
  if (!vector) return { plan: 'keyword', fallback: false, ef: null, forced: false, explored: false, estimates: { exact: 0, hnsw: 0 } };
  const { plan, fallback } = vector;
  const explain: Omit<Explain, 'timings' | 'total' | 'candidates'> = {
    plan: plan.kind,
    fallback,
    ef: plan.kind === 'hnsw' ? plan.ef : null,
    forced: plan.forced,
    explored: plan.explored,
    estimates: { exact: plan.estimates.exact / 1e6, hnsw: plan.estimates.hnsw / 1e6 },
  };
  if (checked.text === undefined) return explain;
  return { ...explain, plan: 'hybrid', vectorPlan: plan.kind, depth: checked.depth };
}

/** `search`, answered at once unless the vector side waits for worker threads. */
export function searchNow(s: CollectionState, request: SearchRequest, shard?: ShardSearch): SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult> {
  s.checkIndexed();
  // Timed when explained or watched (Database.observeSearches): otherwise nothing is timed.
  const timed = request?.explain === true || s.services.searchListeners.size > 0;
  const started = timed ? performance.now() : 0;
  const checked = checkSearch(s, request, shard);
  // Right after open the metadata index is read in the background: a filter waits for it without blocking others.
  if (checked.filter !== undefined && s.metadataLoad !== undefined) return searchOnceMetadataLoaded(s, request, s.metadataLoad, shard);
  const allowed = s.allowedBy(checked.filter);
  const total = s.count;
  const candidates = allowed ? allowed.count : total;
  const clock: SearchClock | undefined = timed ? { started, filtered: performance.now(), total, candidates } : undefined;
  if (checked.vector === undefined) return answerSearch(s, checked, allowed, undefined, undefined, clock);
  // Hybrid fusion scores every candidate exactly: it waits for rows still streaming in after open.
  if (checked.text !== undefined && s.rowsLoading !== undefined) return searchOnceRowsLoaded(s, request, shard);
  const unit = normalizesAtInsert(s.options.metric) ? takeUnitQuery(s, checked.vector) : undefined;
  const query = unit ?? checked.vector;
  let found: VectorOutcome | Promise<VectorOutcome>;
  try {
    found = vectorSearch(s, query, checked, allowed, candidates);
  } catch (error) {
    giveBackUnitQuery(s, unit);
    throw error;
  }
  if (found instanceof Promise) {
    return found.then(
      (vector) => {
        // Dropped (or closed) while the workers searched: its store table may be gone.
        s.checkUsable();
        return answerSearch(s, checked, vector.allowed, query, vector, clock);
      },
      (error: unknown) => {
        s.checkUsable();
        throw error;
      },
    ).finally(() => giveBackUnitQuery(s, unit));
  }
  let answer: SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult>;
  try {
    answer = answerSearch(s, checked, allowed, query, found, clock);
  } catch (error) {
    giveBackUnitQuery(s, unit);
    throw error;
  }
  // A search answered in slices goes on scoring with the query after this returns.
  if (answer instanceof Promise) return answer.finally(() => giveBackUnitQuery(s, unit));
  giveBackUnitQuery(s, unit);
  return answer;
}

/**
 * The hits of a search whose vector side (if any) is done: the keyword
 * side, fusion, the fetched fields, and explain.
 */
export function answerSearch(
  s: CollectionState,
  checked: CheckedSearch,
  allowed: { bitset: Uint32Array; count: number } | undefined,
  query: Float32Array | undefined,
  vector: VectorOutcome | undefined,
  clock: SearchClock | undefined,
): SearchHit[] | SearchResult | Promise<SearchHit[] | SearchResult> {
  if (checked.sliced) return answerInSlices(s, checked, allowed, query, vector, clock);
  const { pool, include } = checked;
  let labels: ArrayLike<number>;
  let scores: ArrayLike<number>;
  let parts: FusedParts | undefined;
  if (vector === undefined) {
    ({ labels, scores } = s.bm25.searchTokens(checked.terms!, pool, allowed?.bitset, checked.keywordStats));
  } else if (checked.text === undefined) {
    ({ labels, scores } = vector.top);
  } else {
    const keyword = s.bm25.searchTokens(checked.terms!, checked.depth, allowed?.bitset, checked.keywordStats);
    const union = Int32Array.from(new Set([...vector.top.labels, ...keyword.labels]));
    const scored = scoreUnion(s, query!, checked, union, knownScores(vector.top, keyword));
    const fused = fuse(s, checked, vector.top, keyword, union, scored);
    labels = fused.labels.length > pool && !checked.wholeUnion ? fused.labels.subarray(0, pool) : fused.labels;
    scores = fused.scores;
    parts = { vector: fused.vectorScores, keyword: fused.keywordScores };
  }
  const chosen = checked.controls === undefined ? undefined : choose(s, checked, labels, scores);
  if (chosen) ({ labels, scores } = chosen);
  const searched = clock ? performance.now() : 0;
  const hits = hitsOf(s, labels, scores, include, new FieldBudget());
  return finishAnswer(s, hits, labels, parts, checked, vector, clock, searched, chosen);
}

/**
 * `#answer` for a search that returns many hits with fields, or fuses
 * many candidates (see READ_SLICE): the same stages, a slice at a time,
 * with a turn of the event loop between slices, stopping when the
 * collection is dropped or the caller aborts. Writes may land during
 * those turns: a candidate whose label no longer holds the document it
 * held when the search began (deleted, or reused by another id), or that
 * no longer passes the filter, is left out, so every hit is a current
 * document (the answer may then hold fewer than k).
 */
export async function answerInSlices(
  s: CollectionState,
  checked: CheckedSearch,
  allowed: { bitset: Uint32Array; count: number } | undefined,
  query: Float32Array | undefined,
  vector: VectorOutcome | undefined,
  clock: SearchClock | undefined,
): Promise<SearchHit[] | SearchResult> {
  const { pool, include, signal } = checked;
  const current = new CurrentLabels(s.ids, s.version, () => s.allowedBy(checked.filter));
  let labels: ArrayLike<number>;
  let scores: ArrayLike<number>;
  let parts: FusedParts | undefined;
  if (vector === undefined) {
    ({ labels, scores } = s.bm25.searchTokens(checked.terms!, pool, allowed?.bitset, checked.keywordStats));
    current.remember(labels);
  } else if (checked.text === undefined) {
    ({ labels, scores } = vector.top);
    current.remember(labels);
  } else {
    const keyword = s.bm25.searchTokens(checked.terms!, checked.depth, allowed?.bitset, checked.keywordStats);
    let union = Int32Array.from(new Set([...vector.top.labels, ...keyword.labels]));
    current.remember(union);
    let scored = { vector: new Float32Array(union.length), keyword: new Float32Array(union.length) };
    const known = knownScores(vector.top, keyword);
    for (let from = 0; from < union.length; from += READ_SLICE) {
      await nextReadSlice(s, signal);
      const slice = scoreUnion(s, query!, checked, union.subarray(from, from + READ_SLICE), known);
      scored.vector.set(slice.vector, from);
      scored.keyword.set(slice.keyword, from);
    }
    let sides: [Ranked, RankedLabels] = [vector.top, keyword];
    const keep = current.keeper(s.version);
    if (keep) {
      // A candidate deleted during the turns was scored as nothing: it leaves the fusion, not only the hits.
      const at = keptAt(union, keep);
      union = Int32Array.from(at, (i) => union[i]!);
      scored = { vector: Float32Array.from(at, (i) => scored.vector[i]!), keyword: Float32Array.from(at, (i) => scored.keyword[i]!) };
      sides = [keptRanked(vector.top, keep), keptRanked(keyword, keep)];
    }
    const fused = fuse(s, checked, sides[0], sides[1], union, scored);
    labels = fused.labels.length > pool && !checked.wholeUnion ? fused.labels.subarray(0, pool) : fused.labels;
    scores = fused.scores;
    parts = { vector: fused.vectorScores, keyword: fused.keywordScores };
  }
  const chosen = checked.controls === undefined ? undefined : choose(s, checked, labels, scores);
  if (chosen) ({ labels, scores } = chosen);
  const searched = clock ? performance.now() : 0;
  const budget = new FieldBudget();
  const hits: SearchHit[] = [];
  const hitLabels: number[] = [];
  for (let from = 0; from < labels.length; from += READ_SLICE) {
    await nextReadSlice(s, signal);
    const to = Math.min(labels.length, from + READ_SLICE);
    let sliceLabels = sliceOf(labels, from, to);
    let sliceScores = sliceOf(scores, from, to);
    const keep = current.keeper(s.version);
    if (keep) {
      const at = keptAt(sliceLabels, keep);
      sliceLabels = at.map((i) => sliceLabels[i]!);
      sliceScores = at.map((i) => sliceScores[i]!);
    }
    hits.push(...hitsOf(s, sliceLabels, sliceScores, include, budget));
    for (let i = 0; i < sliceLabels.length; i++) hitLabels.push(sliceLabels[i]!);
  }
  return finishAnswer(s, hits, hitLabels, parts, checked, vector, clock, searched, chosen);
}

/**
 * The hits the result controls choose from the ranked candidates
 * (result-controls.ts), reading the candidates' group values from the store
 * and their vectors from the vector index.
 */
export function choose(s: CollectionState, checked: CheckedSearch, labels: ArrayLike<number>, scores: ArrayLike<number>): Controlled & { pool: number } {
  const chosen = applyControls(labels, scores, checked.k, checked.controls!, {
    groupValues: (candidates, segments) => {
      // Read as a search's hits are: through the field cache, bounded by the same budget (MAX_RESULT_FIELD_BYTES).
      const budget = new FieldBudget();
      return storedFields(s, candidates).map((row) => {
        budget.add(row?.text, row?.metadata);
        return row?.metadata == null ? undefined : groupValueOf(JSON.parse(row.metadata) as unknown, segments);
      });
    },
    // Right after open the vector rows may still stream in (a keyword or HNSW search does not wait for them): the
    // store has every vector meanwhile. Every candidate is live as the controls run; a missing vector is alike to nothing.
    vector: (label) => (s.rowsLoading === undefined ? s.vectors.vector(label) : s.storedVector(label)) ?? new Float32Array(s.options.dimension),
  });
  return { ...chosen, pool: labels.length };
}

/** The hits with their fused parts, and with explain when the search was timed. */
export function finishAnswer(
  s: CollectionState,
  hits: SearchHit[],
  labels: ArrayLike<number>,
  parts: FusedParts | undefined,
  checked: CheckedSearch,
  vector: VectorOutcome | undefined,
  clock: SearchClock | undefined,
  searched: number,
  chosen?: Controlled & { pool: number },
): SearchHit[] | SearchResult {
  if (parts) {
    hits.forEach((hit, i) => {
      hit.vectorScore = parts.vector.get(labels[i]!)!;
      hit.keywordScore = parts.keyword.get(labels[i]!)!;
    });
  }
  // A sliced read may have left hits out (writes during its turns): each hit's group is found by its label.
  if (chosen?.groups) {
    const groupOf = new Map(chosen.labels.map((label, i) => [label, chosen.groups![i]!]));
    hits.forEach((hit, i) => {
      hit.group = groupOf.get(labels[i]!)!;
    });
  }
  if (!clock) return hits;
  const { started, filtered, total, candidates } = clock;
  if (s.services.searchListeners.size > 0) {
    const event: SearchEvent = { collection: s.name, plan: vector === undefined ? 'keyword' : checked.text === undefined ? vector.plan.kind : 'hybrid', seconds: (searched - filtered) / 1000 };
    for (const listener of s.services.searchListeners) listener(event);
  }
  if (!checked.explain) return hits;
  const done = performance.now();
  return {
    hits,
    explain: {
      ...planExplain(vector, checked),
      total,
      candidates,
      timings: { filter: filtered - started, search: searched - filtered, fetch: done - searched, total: done - started },
      ...(chosen ? { controls: { pool: chosen.pool, aboveMinScore: chosen.aboveMinScore } } : {}),
    },
  };
}

/** `vector` scaled to unit length, in a pooled buffer the caller gives back (see #unitQueries). */
export function takeUnitQuery(s: CollectionState, vector: Float32Array): Float32Array {
  return normalize(vector, s.unitQueries.pop() ?? new Float32Array(s.options.dimension));
}

export function giveBackUnitQuery(s: CollectionState, unit: Float32Array | undefined): void {
  if (unit && s.unitQueries.length < MAX_POOLED_QUERIES) s.unitQueries.push(unit);
}

// The three waits for rows streaming in after open live in functions of their own: a closure over a
// hot function's arguments makes V8 allocate a context for them on every call, waiting or not
// (in #afterGraph that cost graph searches about 4% at 100,000 x 128).
export function searchOnceRowsLoaded(s: CollectionState, request: SearchRequest, shard: ShardSearch | undefined): Promise<SearchHit[] | SearchResult> {
  return s.rowsLoading!.then(() => searchNow(s, request, shard));
}

export async function searchOnceMetadataLoaded(s: CollectionState, request: SearchRequest, load: MetadataLoader, shard: ShardSearch | undefined): Promise<SearchHit[] | SearchResult> {
  // A failed read is reported by the search, which then reads the index at once (#metadataIndex).
  await load.whenDone().catch(() => {});
  s.checkIndexed();
  if (s.metadataLoad === load) {
    s.metadata = load.finish();
    s.metadataLoad = undefined;
  }
  return searchNow(s, request, shard);
}

/**
 * Fuses the two candidate lists. Every candidate of their `union` comes
 * `scored` on both sides (#scoreUnion), so a document found by one side
 * only is still ranked on both.
 */
export function fuse(s: CollectionState, checked: CheckedSearch, vector: Ranked, keyword: RankedLabels, union: Int32Array, scored: { vector: Float32Array; keyword: Float32Array }) {
  const vectorScores = new Map<number, number>();
  const keywordScores = new Map<number, number>();
  union.forEach((label, i) => {
    vectorScores.set(label, scored.vector[i]!);
    keywordScores.set(label, scored.keyword[i]!);
  });
  let fused: Ranked<Int32Array, Float64Array>;
  if (checked.fusion === 'rrf') {
    fused = reciprocalRankFusion([vector.labels, keyword.labels], DEFAULT_RRF_K, [2 * checked.alpha, 2 * (1 - checked.alpha)]);
  } else {
    fused = relativeScoreFusion(
      { labels: union, vectorScores: scored.vector, keywordScores: scored.keyword },
      checked.alpha,
    );
  }
  return { labels: fused.labels, scores: Float32Array.from(fused.scores), vectorScores, keywordScores };
}

/**
 * Both scores of each label of `union`, in its order: the one its side gave
 * it, and for the other side, the vector score exactly (the SIMD kernel) or
 * the BM25 score from the keyword index.
 */
export function scoreUnion(
  s: CollectionState,
  query: Float32Array,
  checked: Pick<CheckedSearch, 'terms' | 'keywordStats'>,
  union: Int32Array,
  known: KnownScores,
): { vector: Float32Array; keyword: Float32Array } {
  const vector = new Float32Array(union.length);
  const keyword = new Float32Array(union.length);
  const needVector: number[] = [];
  const needKeyword: number[] = [];
  for (let i = 0; i < union.length; i++) {
    const label = union[i]!;
    const v = known.vector.get(label);
    if (v === undefined) needVector.push(label);
    else vector[i] = v;
    const w = known.keyword.get(label);
    if (w === undefined) needKeyword.push(label);
    else keyword[i] = w;
  }
  // Each side scores only what the other side found: a candidate is scored once per side.
  if (needVector.length > 0) {
    const exact = s.vectors.search(query, needVector.length, { candidates: Int32Array.from(needVector) });
    const at = new Map<number, number>();
    exact.labels.forEach((label, i) => at.set(label, exact.scores[i]!));
    for (let i = 0; i < union.length; i++) if (!known.vector.has(union[i]!)) vector[i] = at.get(union[i]!)!;
  }
  if (needKeyword.length > 0) {
    const scored = s.bm25.scoreTokens(checked.terms!, Int32Array.from(needKeyword), checked.keywordStats);
    const at = new Map<number, number>();
    needKeyword.forEach((label, i) => at.set(label, scored[i]!));
    for (let i = 0; i < union.length; i++) if (!known.keyword.has(union[i]!)) keyword[i] = at.get(union[i]!)!;
  }
  return { vector, keyword };
}

/** The scores each side of a hybrid search already gave its candidates, by label. */
export interface KnownScores {
  vector: Map<number, number>;
  keyword: Map<number, number>;
}

export function knownScores(vector: Ranked, keyword: RankedLabels): KnownScores {
  const known: KnownScores = { vector: new Map(), keyword: new Map() };
  for (let i = 0; i < vector.labels.length; i++) known.vector.set(vector.labels[i]!, vector.scores[i]!);
  for (let i = 0; i < keyword.labels.length; i++) known.keyword.set(keyword.labels[i]!, keyword.scores[i]!);
  return known;
}
