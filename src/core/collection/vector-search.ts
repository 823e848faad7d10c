/**
 * The vector side of a search: the plan the planner chose (the exact scan
 * or the HNSW graph), run; the graph's hits with the labels still pending
 * their graph insert scored in, and each hit's validity decided (`isHit`,
 * the one place that decides it); the exact scan when the planner says the
 * graph's answer falls short. The planner is told when each search ends.
 */
import type { Ranked, RankedLabels } from '../ranked.js';
import { hasLabel, labelsOf } from '../bitset.js';
import type { SegmentHits } from '../graph/segmented-graph.js';
import type { Plan, PlanInput } from '../query/planner.js';
import type { CheckedSearch } from './checks.js';

import type { CollectionState } from './state.js';

/** Below this many candidates per bitset word, the exact scan walks a label list instead of the bitset. */
export const LABEL_LIST_DENSITY = 1 / 16;

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
  const input: PlanInput = {
    total: s.count,
    candidates,
    filtered: allowed !== undefined,
    k,
    ef: checked.ef ?? s.options.hnsw.ef,
    dimension: s.options.dimension,
  };
  const plan = s.planner.begin(input, checked.exact === undefined ? undefined : checked.exact ? 'exact' : 'hnsw');
  // Right after open the rows stream in: an exact plan waits for them, a graph search does not.
  if (s.rowsLoading !== undefined && (plan.kind !== 'hnsw' || s.hnsw.backlog > 0)) {
    return vectorSearchOnceRowsLoaded(s, query, checked, allowed, candidates);
  }
  if (plan.kind !== 'hnsw') {
    const top = exact(s, query, k, allowed, checked.quantized);
    s.planner.end(plan);
    return { top, plan, fallback: false, allowed };
  }
  s.planner.sendingToGraph(plan);
  // Taken as the search is sent, not as it is answered: a segment answers searches ahead of its queued
  // writes, so it can answer without a pending label, then acknowledge that label's insert before the
  // other segments have answered.
  const pending = s.hnsw.pendingLabels();
  const sent = s.version;
  let graph: SegmentHits | Promise<SegmentHits>;
  try {
    graph = s.hnsw.search(query, k, plan.ef, allowed?.bitset);
  } catch (error) {
    return afterGraph(s, graphFailed(s, error), query, checked, allowed, plan);
  }
  if (!(graph instanceof Promise)) {
    return afterGraph(s, withPending(s, graph, pending, query, k, allowed, false), query, checked, allowed, plan);
  }
  return graph.then(
    (hits) => {
      if (s.version === sent) {
        return afterGraph(s, withPending(s, hits, pending, query, k, allowed, false), query, checked, allowed, plan, hits.searchNs);
      }
      // Writes landed while the workers searched. Hits are scored again and the filter evaluated again, as of
      // now: a label deleted since then, or reused by a document the filter does not match, must not come
      // back, and a replaced vector is scored by its new value.
      const now = s.allowedBy(checked.filter);
      return afterGraph(s, withPending(s, hits, pending, query, k, now, true), query, checked, now, plan, hits.searchNs);
    },
    (error: unknown) => afterGraph(s, graphFailed(s, error), query, checked, allowed, plan),
  );
}

/**
 * The exact scan instead when the planner says the graph's hits fall short
 * (or it could not answer: a worker failed); the planner told the search
 * ended. `graphNs`: what the graph search took on worker threads.
 */
export function afterGraph(
  s: CollectionState,
  approximate: Ranked | undefined,
  query: Float32Array,
  checked: CheckedSearch,
  allowed: { bitset: Uint32Array; count: number } | undefined,
  plan: Plan,
  graphNs?: number,
): VectorOutcome | Promise<VectorOutcome> {
  const fallback = s.planner.fallsBack(plan, approximate?.labels.length);
  if (fallback && s.rowsLoading !== undefined) {
    return s.rowsLoading.then(() => afterGraph(s, approximate, query, checked, allowed, plan, graphNs));
  }
  const top = fallback ? exact(s, query, checked.depth, allowed, checked.quantized) : approximate!;
  s.planner.end(plan, fallback, graphNs);
  return { top, plan, fallback, allowed };
}

export function vectorSearchOnceRowsLoaded(
  s: CollectionState,
  query: Float32Array, checked: CheckedSearch, allowed: { bitset: Uint32Array; count: number } | undefined, candidates: number,
): Promise<VectorOutcome> {
  return s.rowsLoading!.then(() => vectorSearch(s, query, checked, allowed, candidates));
}

export function graphFailed(s: CollectionState, error: unknown): undefined {
  s.services.log.error(`collection '${s.name}': graph search failed, scanning exactly: ${String(error)}`);
  return undefined;
}

/**
 * Whether `label` is a hit now: it holds a document, and the filter (as
 * `allowed` was last evaluated) allows it. The one test of a hit's
 * validity; reads in slices also check that a label still holds the same
 * document (CurrentLabels).
 */
export function hitTest(s: CollectionState, allowed: { bitset: Uint32Array } | undefined): (label: number) => boolean {
  return allowed ? (label) => s.vectors.has(label) && hasLabel(allowed.bitset, label) : (label) => s.vectors.has(label);
}

/**
 * `graph` with the labels that were `pending` when it was asked scored in
 * beside it, so every acknowledged write is searchable at once (see
 * SegmentedGraph). With `moved` (writes landed since it was asked), or
 * when the graph says some hits may be on deleted labels, every candidate
 * must pass `hitTest`, and all are scored as of now.
 */
export function withPending(
  s: CollectionState,
  graph: SegmentHits, pending: Int32Array, query: Float32Array, k: number, allowed: { bitset: Uint32Array } | undefined, moved: boolean,
): Ranked {
  const recheck = moved || graph.stale === true;
  if (!s.open || (pending.length === 0 && !recheck)) return graph;
  // Graph hits and pending labels are scored together by the kernel, as an exact scan scores them.
  // A label can be both (its insert ran, the acknowledgement is on its way): both copies score the
  // same, so they sort next to each other and the second is dropped after the scan.
  const candidates = new Int32Array(graph.labels.length + pending.length);
  let n = 0;
  if (recheck) {
    const isHit = hitTest(s, allowed);
    for (const label of graph.labels) if (isHit(label)) candidates[n++] = label;
    for (const label of pending) if (isHit(label)) candidates[n++] = label;
  } else {
    // Pending labels are live (a delete takes its label out of the pending set); the graph was asked with the filter.
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
