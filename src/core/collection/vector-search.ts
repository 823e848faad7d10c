/**
 * The vector side of a search: the planner's choice between the exact scan
 * and the HNSW graph, the graph's hits with the labels still pending their
 * graph insert scored in, the fallback to the exact scan, and what the
 * planner learns from it.
 */
import type { Ranked, RankedLabels } from '../ranked.js';
import { hasLabel, labelsOf } from '../bitset.js';
import type { GraphHits } from '../graph/hnsw-index.js';
import type { Plan, PlanInput } from '../query/planner.js';
import type { CheckedSearch } from './checks.js';

import type { CollectionState } from './state.js';

/** One vector search in this many is timed and fed back to the planner. */
export const PLANNER_SAMPLE = 8;

/** Below this many candidates per bitset word, the exact scan walks a label list instead of the bitset. */
export const LABEL_LIST_DENSITY = 1 / 16;

/** What a timed graph search (one in PLANNER_SAMPLE) needs to teach the planner once it is done. */
export interface GraphLesson {
  input: PlanInput;
  started: number;
  /** No other graph search was running when it started. */
  alone: boolean;
  /** What the search took on the worker threads (GraphHits.searchNs), when workers answered it. */
  searchNs?: number;
}

/** The first `k` hits of a best-first list, each label once (a repeat sorts next to its first copy). */
export function withoutRepeats(top: RankedLabels, k: number): RankedLabels {
  const labels = new Int32Array(Math.min(k, top.labels.length));
  const scores = new Float32Array(labels.length);
  let n = 0;
  for (let i = 0; i < top.labels.length && n < labels.length; i++) {
    if (n > 0 && top.labels[i] === labels[n - 1]) continue;
    labels[n] = top.labels[i]!;
    scores[n] = top.scores[i]!;
    n++;
  }
  return n === labels.length ? { labels, scores } : { labels: labels.subarray(0, n), scores: scores.subarray(0, n) };
}

/** The vector side of one search: its hits and how they were found. */
export interface VectorOutcome {
  top: Ranked;
  plan: Plan;
  fallback: boolean;
  /** The filter's allowed set the hits were chosen by: evaluated again when writes landed during a graph search. */
  allowed: { bitset: Uint32Array; count: number } | undefined;
}

/**
 * The vector side of a search, by the plan the planner (or `exact`)
 * chose. Synchronous when the graph answers on this thread (no worker
 * threads, or an exact plan), so the hot path pays for no promises.
 */
export function vectorSearch(
  s: CollectionState,
  query: Float32Array,
  checked: CheckedSearch,
  allowed: { bitset: Uint32Array; count: number } | undefined,
  candidates: number,
): VectorOutcome | Promise<VectorOutcome> {
  const k = checked.depth;
  // The planner learns from one search in PLANNER_SAMPLE: timing every one costs more than it teaches.
  const learn = ++s.searches % PLANNER_SAMPLE === 0;
  const started = learn ? performance.now() : 0;
  const input: PlanInput = {
    total: s.count,
    candidates,
    filtered: allowed !== undefined,
    k,
    ef: checked.ef ?? s.options.hnsw.ef,
    dimension: s.options.dimension,
  };
  const plan = s.planner.plan(input, learn);
  if (checked.exact !== undefined) {
    plan.kind = checked.exact ? 'exact' : 'hnsw';
    plan.explored = false;
  }
  // Right after open the rows stream in: an exact plan waits for them, a graph search does not.
  if (s.rowsLoading !== undefined && (plan.kind !== 'hnsw' || s.hnsw.backlog > 0)) {
    return vectorSearchOnceRowsLoaded(s, query, checked, allowed, candidates);
  }
  if (plan.kind !== 'hnsw') {
    const top = exact(s, query, k, allowed, checked.quantized);
    if (learn) s.planner.record(plan, input, (performance.now() - started) * 1e6);
    return { top, plan, fallback: false, allowed };
  }
  s.graphSearches++;
  const lesson: GraphLesson | undefined = learn ? { input, started, alone: s.graphSearches === 1 } : undefined;
  // Taken as the search is sent, not as it is answered: a segment answers searches ahead of its queued
  // writes, so it can answer without a pending label, then acknowledge that label's insert before the
  // other segments have answered.
  const pending = s.hnsw.pendingLabels();
  const sent = s.version;
  let graph: GraphHits | Promise<GraphHits>;
  try {
    graph = s.hnsw.search(query, k, plan.ef, allowed?.bitset);
  } catch (error) {
    return afterGraph(s, graphFailed(s, error), query, checked, allowed, candidates, plan, lesson);
  }
  if (!(graph instanceof Promise)) {
    return afterGraph(s, withPending(s, graph, pending, query, k, allowed, false), query, checked, allowed, candidates, plan, lesson);
  }
  return graph.then(
    (hits) => {
      if (lesson) lesson.searchNs = hits.searchNs;
      if (s.version === sent) {
        return afterGraph(s, withPending(s, hits, pending, query, k, allowed, false), query, checked, allowed, candidates, plan, lesson);
      }
      // Writes landed while the workers searched. Hits are scored again and the filter evaluated again, as of
      // now: a label deleted since then, or reused by a document the filter does not match, must not come
      // back, and a replaced vector is scored by its new value.
      const now = s.allowedBy(checked.filter);
      const top = withPending(s, hits, pending, query, k, now, true);
      return afterGraph(s, top, query, checked, now, now ? now.count : s.count, plan, lesson);
    },
    (error: unknown) => afterGraph(s, graphFailed(s, error), query, checked, allowed, candidates, plan, lesson),
  );
}

/**
 * Falls back to the exact scan when the graph gave too few hits (or could
 * not answer: a worker failed), and teaches the planner.
 */
export function afterGraph(
  s: CollectionState,
  approximate: Ranked | undefined,
  query: Float32Array,
  checked: CheckedSearch,
  allowed: { bitset: Uint32Array; count: number } | undefined,
  candidates: number,
  plan: Plan,
  lesson: GraphLesson | undefined,
): VectorOutcome | Promise<VectorOutcome> {
  const k = checked.depth;
  const fallback = approximate === undefined || approximate.labels.length < Math.min(k, candidates);
  if (fallback && s.rowsLoading !== undefined) {
    return afterGraphOnceRowsLoaded(s, approximate, query, checked, allowed, candidates, plan, lesson);
  }
  s.graphSearches--;
  const top = fallback ? exact(s, query, k, allowed, checked.quantized) : approximate;
  // A graph search that overlapped others waited for them too: its time would teach the planner wrong. On worker
  // threads the planner learns what the search took there: the round trip varies with how recently the workers
  // searched (a sleeping one is slow to wake), and, learned from, it made the exact scan win for good after a few
  // slow first searches, with the workers asleep for every graph search after that.
  if (lesson?.alone && s.graphSearches === 0 && !fallback) s.planner.record(plan, lesson.input, lesson.searchNs ?? (performance.now() - lesson.started) * 1e6);
  return { top, plan, fallback, allowed };
}

export function vectorSearchOnceRowsLoaded(
  s: CollectionState,
  query: Float32Array, checked: CheckedSearch, allowed: { bitset: Uint32Array; count: number } | undefined, candidates: number,
): Promise<VectorOutcome> {
  return s.rowsLoading!.then(() => vectorSearch(s, query, checked, allowed, candidates));
}

export function afterGraphOnceRowsLoaded(
  s: CollectionState,
  approximate: Ranked | undefined, query: Float32Array, checked: CheckedSearch, allowed: { bitset: Uint32Array; count: number } | undefined,
  candidates: number, plan: Plan, lesson: GraphLesson | undefined,
): Promise<VectorOutcome> {
  return s.rowsLoading!.then(() => afterGraph(s, approximate, query, checked, allowed, candidates, plan, lesson));
}

export function graphFailed(s: CollectionState, error: unknown): undefined {
  s.services.log.error(`collection '${s.name}': graph search failed, scanning exactly: ${String(error)}`);
  return undefined;
}

/**
 * `graph` with the labels that were `pending` when it was asked scored in
 * beside it, so every acknowledged write is searchable at once (see
 * SegmentedGraph). With `recheck` (writes landed since it was asked),
 * every candidate must still be live and `allowed`.
 */
export function withPending(
  s: CollectionState,
  graph: GraphHits, pending: Int32Array, query: Float32Array, k: number, allowed: { bitset: Uint32Array } | undefined, recheck: boolean,
): Ranked {
  if (!s.open || (pending.length === 0 && !recheck)) return graph;
  // Graph hits and pending labels are scored together by the kernel, as an exact scan scores them.
  // A label can be both (its insert ran, the acknowledgement is on its way): both copies score the
  // same, so they sort next to each other and the second is dropped after the scan.
  const candidates = new Int32Array(graph.labels.length + pending.length);
  let n = 0;
  if (recheck) {
    const keep = (label: number) => s.vectors.has(label) && (!allowed || hasLabel(allowed.bitset, label));
    for (const label of graph.labels) if (keep(label)) candidates[n++] = label;
    for (const label of pending) if (keep(label)) candidates[n++] = label;
  } else {
    candidates.set(graph.labels);
    n = graph.labels.length;
    if (allowed) {
      for (const label of pending) if (hasLabel(allowed.bitset, label)) candidates[n++] = label;
    } else {
      candidates.set(pending, n);
      n += pending.length;
    }
  }
  const scored = s.vectors.search(query, k + graph.labels.length, { candidates: candidates.subarray(0, n) });
  return withoutRepeats(scored, k);
}

export function exact(s: CollectionState, query: Float32Array, k: number, allowed: { bitset: Uint32Array; count: number } | undefined, quantized?: boolean): RankedLabels {
  if (!allowed) return s.vectors.search(query, k, { quantized });
  if (allowed.count === 0) return { labels: new Int32Array(0), scores: new Float32Array(0) };
  const sparse = allowed.count < s.vectors.labelBound * LABEL_LIST_DENSITY;
  const candidates = sparse ? labelsOf(allowed.bitset, allowed.count) : allowed.bitset;
  return s.vectors.search(query, k, { candidates, quantized });
}
