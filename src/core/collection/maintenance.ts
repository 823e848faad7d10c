/**
 * What follows a write: a compaction once tombstones pass their share of
 * the graph, and a snapshot once enough changed.
 */
import { snapshotInBackground } from './snapshots.js';
import { compact } from './compaction.js';
import type { CollectionState } from './state.js';

/**
 * A collection of more than snapshotAfter / SNAPSHOT_SHARE documents
 * snapshots once this share of it changed: a snapshot writes every vector
 * and the whole graph (12 GB at 1,000,000 x 1536), so a fixed threshold
 * made a bulk load write its data again every 20,000 documents. A restart
 * after a crash replays at most about this share.
 */
export const SNAPSHOT_SHARE = 0.25;

/** Fewer tombstones than this cost too little to be worth a rebuild. */
export const MIN_COMPACT_TOMBSTONES = 1_000;

export function afterWrite(s: CollectionState): void {
  const { dir, snapshotAfter, compactAt } = s.persistence;
  const graphSize = s.hnsw.size + s.hnsw.tombstones;
  const tombstones = s.hnsw.tombstones;
  if (tombstones >= MIN_COMPACT_TOMBSTONES && tombstones > compactAt * graphSize && s.compaction === undefined) {
    void compact(s).catch((error: unknown) => s.services.log.error(`collection '${s.name}': compaction failed: ${String(error)}`));
  }
  if (dir === undefined) return;
  // Replay on restart costs one graph insert per changed document, so that is what triggers a snapshot.
  // A snapshot rewrites the whole collection, so a large one waits for a share of its size: writes stay
  // a bounded multiple of the data (about 1 / SNAPSHOT_SHARE + 1 times over a bulk load), not quadratic.
  const threshold = Math.max(snapshotAfter, Math.floor(SNAPSHOT_SHARE * s.count));
  // A loop of writes that never yields would starve the deferred snapshot: past twice the threshold, start it now.
  if (s.changedSinceSnapshot >= 2 * threshold && s.snapshotting === undefined && s.compaction === undefined) {
    snapshotInBackground(s);
    return;
  }
  if (!s.snapshotScheduled && s.snapshotting === undefined && s.changedSinceSnapshot >= threshold) {
    s.snapshotScheduled = true;
    setImmediate(() => {
      s.snapshotScheduled = false;
      if (!s.open || s.compaction) return;
      snapshotInBackground(s);
    });
  }
}
