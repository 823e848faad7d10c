/**
 * Snapshots of a collection's derived state (graph, vectors, label states,
 * keyword and metadata indexes), one at a time, written in the background
 * of other work (storage/snapshot.ts writes the files); held off while a
 * backup copies the collection.
 */
import { writeSnapshot } from '../storage/snapshot.js';
import type { CollectionState } from './state.js';

/** `Collection.snapshot`, documented there. */
export async function snapshot(s: CollectionState): Promise<boolean> {
  s.checkUsable();
  if (s.unavailable !== undefined) return false;
  return snapshotOnce(s);
}

/**
 * One snapshot at a time; a request during one waits for it, then writes if
 * anything changed. While a backup holds snapshots, every request made
 * meanwhile shares one snapshot that runs when the hold ends.
 */
export async function snapshotOnce(s: CollectionState, force = false): Promise<boolean> {
  // A keyword-only collection opens by building its keyword index from the store (restore.ts `build`).
  if (!s.options.vectors) return false;
  for (;;) {
    const hold = s.snapshotHold;
    if (hold !== undefined) {
      hold.force ||= force;
      hold.deferred ??= hold.released.then(() => (s.open ? snapshotOnce(s, hold.force) : false));
      return hold.deferred;
    }
    if (s.snapshotting === undefined) break;
    await s.snapshotting.catch(() => false);
  }
  s.snapshotting = saveSnapshot(s, force).finally(() => {
    s.snapshotting = undefined;
  });
  return s.snapshotting;
}

/**
 * Holds off this collection's snapshots (and so the pruning of its deletion
 * log) until the returned function is called: a snapshot under way finishes
 * first. A backup copies the snapshot files under a hold, then the store, so
 * the store copy still logs every deletion newer than the snapshot copied.
 * Holds nest (several backups at once); the last release runs the one
 * snapshot asked for meanwhile, if any.
 */
export async function holdSnapshots(s: CollectionState): Promise<() => void> {
  while (s.snapshotHold === undefined && s.snapshotting !== undefined) await s.snapshotting.catch(() => false);
  let hold = s.snapshotHold;
  if (hold === undefined) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    hold = { holders: 0, released, release, deferred: undefined, force: false };
    s.snapshotHold = hold;
  }
  hold.holders++;
  const held = hold;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--held.holders > 0) return;
    s.snapshotHold = undefined;
    held.release();
  };
}

/**
 * Writes a snapshot unless one at this version exists (`force`: a
 * compaction changed the graph, not the version). The state is taken at
 * the current version synchronously; the files are written in the
 * background of other work (see snapshot.ts).
 */
export async function saveSnapshot(s: CollectionState, force = false): Promise<boolean> {
  const { dir } = s.persistence;
  const { log } = s.services;
  const current = () => s.unavailable !== undefined || (!force && s.version === s.snapshotVersion);
  if (dir === undefined || current()) return false;
  if (s.rowsLoading !== undefined) await s.rowsLoading;
  if (current()) return false;
  const started = performance.now();
  const version = s.version;
  const changed = s.changedSinceSnapshot;
  const flat = s.vectors;
  const vectors = flat.snapshot();
  const { highWater } = vectors;
  const graph = s.hnsw;
  const ids = s.ids.slice(0, highWater);
  const states = graph.states.slice(0, highWater);
  const form = flat.form;
  const sections = vectors.sections.map(({ bytes, read }) => ({
    bytes,
    read: (offset: number, length: number) => {
      if (!s.open || flat !== s.flat || flat.form !== form) throw new Error('the collection closed or its vectors changed form during the snapshot');
      return read(offset, length);
    },
  }));
  await writeSnapshot(dir, {
    version,
    dimension: s.options.dimension,
    vectors: { ...vectors, sections },
    states,
    ids,
    keyword: s.bm25.serialize(),
    // Until the index is complete (read in the background after open) the next open reads it from the store.
    metadata: s.metadata?.serialize() ?? new Uint8Array(0),
    segments: graph.segments,
    saveGraphs: (files) => graph.save(files),
  });
  s.table.pruneDeletions(version);
  s.snapshotVersion = version;
  s.changedSinceSnapshot = Math.max(0, s.changedSinceSnapshot - changed);
  log.info(`collection '${s.name}': snapshot v${version} written in ${(performance.now() - started).toFixed(0)} ms`);
  return true;
}

/** A snapshot nobody awaits: a failure is logged. */
export function snapshotInBackground(s: CollectionState): void {
  // During a hold, one deferred snapshot stands for every write's request (not a waiter per write).
  if (s.snapshotHold?.deferred !== undefined) return;
  snapshotOnce(s).catch((error: unknown) => {
    if (s.open) s.services.log.error(`collection '${s.name}': snapshot failed: ${String(error)}`);
  });
}
