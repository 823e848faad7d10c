/**
 * Upkeep of the graph: compaction rebuilds it without its tombstones while
 * searches and writes go on; optimize lays it out afresh in memory.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { DEFAULT_INITIAL_CAPACITY } from '../options.js';
import { SegmentedGraph } from '../graph/segmented-graph.js';
import type { OptimizeResult } from '../api.js';
import { snapshotOnce } from './snapshots.js';
import type { CollectionState } from './state.js';

/** Compaction yields to the event loop after this many milliseconds of graph building. */
export const COMPACTION_SLICE_MS = 8;

/** `Collection.indexed`, documented there. */
export async function indexed(s: CollectionState): Promise<void> {
  s.checkIndexed();
  // Rows still streaming in from a snapshot first: a damaged file rebuilds the graph.
  if (s.rowsLoading !== undefined) await s.rowsLoading;
  s.checkIndexed();
  await s.hnsw.idle();
}

/** `Collection.optimize`, documented there. */
export async function optimize(s: CollectionState): Promise<OptimizeResult> {
  s.checkIndexed();
  const started = performance.now();
  // A failed compaction was logged where it failed; the graph it leaves is still worth laying out.
  await s.compaction?.catch(() => false);
  await indexed(s);
  s.checkUsable();
  let relaid: Awaited<ReturnType<SegmentedGraph['relayout']>>;
  try {
    relaid = await s.hnsw.relayout(tmpdir());
  } finally {
    // A drop during the layout leaves segments that answered nothing.
    s.checkUsable();
  }
  const bytes = relaid.reduce((sum, segment) => sum + segment.bytes, 0);
  return { segments: relaid.length, bytes, seconds: (performance.now() - started) / 1000 };
}

/** `Collection.compact`, documented there. */
export async function compact(s: CollectionState): Promise<boolean> {
  s.checkIndexed();
  s.compaction ??= rebuildGraph(s).finally(() => {
    s.compaction = undefined;
  });
  return s.compaction;
}

export async function rebuildGraph(s: CollectionState): Promise<boolean> {
  if (s.rowsLoading !== undefined) await s.rowsLoading;
  if (s.hnsw.tombstones === 0) return false;
  const started = performance.now();
  const fresh = s.emptyGraph(Math.max(DEFAULT_INITIAL_CAPACITY, Math.ceil(s.count * 1.25)));
  s.freshGraph = fresh;
  const touched = new Set<number>();
  s.touchedDuringCompaction = touched;
  try {
    const labels = s.hnsw.liveLabels();
    let sliceStart = performance.now();
    for (const label of labels) {
      if (!s.open) {
        fresh.drop();
        return false;
      }
      if (touched.has(label)) continue;
      const vector = s.vectors.vector(label);
      if (vector) fresh.add(label, vector);
      if (performance.now() - sliceStart > COMPACTION_SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
    // The new graph is built in the background (on the workers); searches use the old one meanwhile.
    await fresh.idle();
    // Closed or dropped meanwhile: its vectors are gone.
    if (!s.open) {
      fresh.drop();
      return false;
    }
    // Catch up with writes made during the rebuild, synchronously, then swap.
    for (const label of touched) {
      const vector = s.vectors.vector(label);
      if (vector) fresh.add(label, vector);
      else fresh.remove(label);
    }
  } catch (error) {
    fresh.drop();
    throw error;
  } finally {
    s.touchedDuringCompaction = undefined;
  }
  if (!s.open) {
    fresh.drop();
    return false;
  }
  s.freshGraph = undefined;
  const removed = s.hnsw.tombstones;
  s.hnsw.drop();
  s.hnsw = fresh;
  s.services.log.info(
    `collection '${s.name}': compacted ${removed} tombstones in ${(performance.now() - started).toFixed(0)} ms`,
  );
  await snapshotOnce(s, true);
  return true;
}
