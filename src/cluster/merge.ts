/**
 * A coordinator's merge of its shards' answers into one search's hits:
 * pure functions, the same arithmetic as one collection's search.
 *
 * A vector or keyword search ranks every shard's hits by score (ties by
 * id) and keeps the pool. A hybrid search gets from each shard every
 * candidate of its two sides with both scores (ShardSearch); the cluster's
 * side is each side's `depth` best over all shards, and the union of the
 * two is fused as one collection fuses its own (query/fusion.ts). A global
 * side's member is among its shard's side, so nothing is missing. The
 * result controls then run on the merged ranking (query/result-controls.ts).
 */
import type { SearchField, SearchHit } from '../core/api.js';
import { DEFAULT_RRF_K, reciprocalRankFusion, relativeScoreFusion } from '../core/query/fusion.js';
import { applyControls, groupValueOf, type Controls } from '../core/query/result-controls.js';

/** What a merge needs of the search. */
export interface MergeSpec {
  hybrid: boolean;
  k: number;
  pool: number;
  depth: number;
  fusion: 'relativeScore' | 'rrf';
  alpha: number;
  controls: Controls | undefined;
  /** The fields the caller asked for (the shards may have sent more, for the controls). */
  include: readonly SearchField[];
  /** Ids never returned: a search by example's examples. */
  exclude?: ReadonlySet<string>;
}

function byScoreThenId(scoreOf: (hit: SearchHit) => number): (a: SearchHit, b: SearchHit) => number {
  return (a, b) => scoreOf(b) - scoreOf(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The merged hits of the shards' answers, best first. */
export function mergeHits(answers: readonly SearchHit[][], spec: MergeSpec): SearchHit[] {
  let ranked = spec.hybrid ? fuseShards(answers.flat(), spec) : answers.flat().sort(byScoreThenId((hit) => hit.score)).slice(0, spec.pool);
  if (spec.exclude !== undefined) ranked = ranked.filter((hit) => !spec.exclude!.has(hit.id));
  const chosen = spec.controls === undefined ? ranked.slice(0, spec.k) : controlled(ranked, spec);
  return chosen.map((hit) => trimmed(hit, spec));
}

/** The fused ranking of every shard's hybrid candidates (see the file header), at most the pool. */
function fuseShards(candidates: SearchHit[], spec: MergeSpec): SearchHit[] {
  const vectorSide = [...candidates].sort(byScoreThenId((hit) => hit.vectorScore!)).slice(0, spec.depth);
  const keywordSide = candidates.filter((hit) => hit.keywordScore! > 0).sort(byScoreThenId((hit) => hit.keywordScore!)).slice(0, spec.depth);
  // Labels in id order: fusion breaks its last ties by the lower label, so the cluster breaks them by id.
  const union = [...new Set([...vectorSide, ...keywordSide])].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const label = new Map(union.map((hit, i) => [hit, i]));
  const fused = spec.fusion === 'rrf'
    ? reciprocalRankFusion([vectorSide.map((hit) => label.get(hit)!), keywordSide.map((hit) => label.get(hit)!)], DEFAULT_RRF_K, [2 * spec.alpha, 2 * (1 - spec.alpha)])
    : relativeScoreFusion({
      labels: Int32Array.from(union.keys()),
      vectorScores: Float32Array.from(union, (hit) => hit.vectorScore!),
      keywordScores: Float32Array.from(union, (hit) => hit.keywordScore!),
    }, spec.alpha);
  const scores = Float32Array.from(fused.scores);
  const out: SearchHit[] = [];
  for (let i = 0; i < fused.labels.length && i < spec.pool; i++) out.push({ ...union[fused.labels[i]!]!, score: scores[i]! });
  return out;
}

/** The hits the result controls choose from the merged ranking. */
function controlled(ranked: SearchHit[], spec: MergeSpec): SearchHit[] {
  const chosen = applyControls(ranked.map((_, i) => i), ranked.map((hit) => hit.score), spec.k, spec.controls!, {
    groupValues: (labels, segments) => labels.map((i) => groupValueOf(ranked[i]!.metadata, segments)),
    vector: (i) => ranked[i]!.vector as Float32Array,
  });
  return chosen.labels.map((i, at) => (chosen.groups ? { ...ranked[i]!, group: chosen.groups[at]! } : ranked[i]!));
}

/** A hit with only the fields the caller asked for. */
function trimmed(hit: SearchHit, spec: MergeSpec): SearchHit {
  const out: SearchHit = { id: hit.id, score: hit.score };
  if (spec.hybrid) {
    out.vectorScore = hit.vectorScore!;
    out.keywordScore = hit.keywordScore!;
  }
  if (hit.group !== undefined) out.group = hit.group;
  for (const field of spec.include) if (hit[field] !== undefined) (out as unknown as Record<string, unknown>)[field] = hit[field];
  return out;
}
