/**
 * Building a collection's memory on open: a snapshot plus the store's newer
 * changes (replay), or the store alone; vector rows streamed in after open;
 * a rebuild after a failed write; the degraded state when nothing can be
 * built; the metadata index read in the background.
 */
import { Bm25Index } from '../keyword/bm25-index.js';
import { MetadataLoader } from '../filter/metadata-loader.js';
import { GRAPH_FIXED_BYTES } from '../graph/hnsw-index.js';
import { DEFAULT_INITIAL_CAPACITY, INT8_FIT_SAMPLE } from '../options.js';
import { readArenaMeta, readArenaVectors, readSnapshot, type ArenaVectors, verifyGraph } from '../storage/snapshot.js';
import { SegmentedGraph } from '../graph/segmented-graph.js';
import type { Change } from '../storage/store.js';
import { index } from './indexing.js';

import type { CollectionState } from './state.js';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Rebuilds every in-memory index from the store (a degraded collection: its
 * id maps); degrades, search unavailable, if that fails too.
 */
export function rebuildAfterFailure(s: CollectionState): void {
  s.metadataLoad?.stop();
  s.metadataLoad = undefined;
  s.metadata = undefined;
  try {
    s.version = s.table.version();
    if (s.unavailable !== undefined) throw new Error(s.unavailable);
    s.reset();
    rebuildFromStore(s);
    s.snapshotVersion = 0;
  } catch (error) {
    degrade(s, messageOf(error));
    return;
  }
  loadMetadataInBackground(s);
}

/** Starts reading the metadata index between other work (after open): from the snapshot's copy, else the store. */
export function loadMetadataInBackground(s: CollectionState): void {
  if (s.metadata !== undefined || s.metadataLoad !== undefined) return;
  const snapshot = s.metadataSnapshot;
  s.metadataSnapshot = undefined;
  let load: MetadataLoader | undefined;
  if (snapshot !== undefined) {
    try {
      load = new MetadataLoader({ ...snapshot, readLabel: (label) => s.table.metadataOfLabel(label) });
    } catch (error) {
      s.services.log.warn(`collection '${s.name}': the snapshot's metadata index could not be read (${(error as Error).message}); reading it from the store`);
    }
  }
  load ??= s.newMetadataLoad();
  s.metadataLoad = load;
  load.run().then(() => {
    if (s.metadataLoad !== load || !load.done) return;
    s.metadata = load.index;
    s.metadataLoad = undefined;
  }, (error: Error) => {
    // A filter will try again (and report the error) at its first use.
    if (s.metadataLoad === load) s.metadataLoad = undefined;
    s.services.log.warn(`collection '${s.name}': metadata index could not be read: ${error.message}`);
  });
}

/** `Collection.load`, documented there. */
export async function load(s: CollectionState): Promise<void> {
  try {
    const count = s.table.count();
    s.memory.budget.admit(s.name, count, s.cost, 'open', count > 0 && s.options.vectors ? s.options.hnsw.segments * GRAPH_FIXED_BYTES : 0);
    await build(s);
  } catch (error) {
    degrade(s, messageOf(error));
    return;
  }
  loadMetadataInBackground(s);
}

export async function build(s: CollectionState): Promise<void> {
  const { dir } = s.persistence;
  const { log } = s.services;
  // A keyword-only collection takes no snapshots (snapshots.ts): its keyword index is built from the store.
  if (dir !== undefined && s.options.vectors) {
    const started = performance.now();
    const problem = await restore(s, dir);
    if (problem === undefined) {
      log.info(`collection '${s.name}': restored snapshot v${s.snapshotVersion} and replayed to v${s.version} in ${(performance.now() - started).toFixed(0)} ms`);
      return;
    }
    if (problem !== 'no snapshot' || s.table.count() > 0) {
      log.warn(`collection '${s.name}': ${problem}; rebuilding from the store (${s.table.count()} documents)`);
    }
    s.reset();
  }
  rebuildFromStore(s);
}

/**
 * Drops the in-memory index that could not be built and serves the
 * documents from the store alone: ids are mapped (get, list, delete work),
 * search and upsert answer INDEX_UNAVAILABLE with `reason`.
 */
export function degrade(s: CollectionState, reason: string): void {
  s.reset();
  s.unavailable = reason;
  for (const { label, id } of s.table.ids()) {
    s.ids[label] = id;
    s.labelOf.set(id, label);
  }
  s.collectFreeLabels();
  s.services.log.error(`collection '${s.name}' cannot be searched: ${reason}; its ${s.count} documents can still be read and deleted`);
}

/** Tries the snapshot in `dir`; returns why it could not be used, or undefined when restored. */
export async function restore(s: CollectionState, dir: string): Promise<string | undefined> {
  const checked = readSnapshot(dir, { dimension: s.options.dimension, maxVersion: s.version });
  if ('problem' in checked) return checked.problem;
  const { manifest, graphFiles } = checked.snapshot;
  const meta = readArenaMeta(checked.snapshot);
  if ('problem' in meta) return meta.problem;
  const vectors = readArenaVectors(checked.snapshot);
  if ('problem' in vectors) return vectors.problem;
  // The segments load on their hosts (hnswlib reads on libuv's thread pool) while this
  // thread checks the graph files' checksums; a graph failing its check is never used.
  const graph = SegmentedGraph.load(s.graphSpec(), s.services.hosting, graphFiles, meta.states, s.onGraphError);
  graph.catch(() => {});
  const graphProblem = verifyGraph(checked.snapshot);
  // Everything that does not need the graph is done before waiting for it.
  let keywordProblem: string | undefined;
  let changes: Change[] = [];
  if (graphProblem === undefined) {
    try {
      s.bm25 = Bm25Index.deserialize(meta.keyword, { text: s.options.text, bm25: s.options.bm25 });
    } catch (error) {
      keywordProblem = `snapshot v${manifest.version} keyword index could not be loaded (${(error as Error).message})`;
    }
    meta.ids.forEach((id, label) => {
      if (id === null) return;
      s.ids[label] = id;
      s.labelOf.set(id, label);
    });
    changes = s.table.changesSince(manifest.version);
    // Read in the background after open (#loadMetadataInBackground). Without it (an older format, or a
    // snapshot taken while the index was still being read) the index is read from the store instead.
    if (meta.metadata.byteLength > 0) s.metadataSnapshot = { bytes: meta.metadata, changed: changes.map((change) => change.label) };
  }
  let loaded: SegmentedGraph;
  try {
    loaded = await graph;
  } catch (error) {
    return graphProblem ?? `snapshot v${manifest.version} graph could not be loaded (${(error as Error).message})`;
  }
  if (graphProblem !== undefined || keywordProblem !== undefined) {
    loaded.drop();
    return graphProblem ?? keywordProblem;
  }
  s.hnsw.drop();
  s.hnsw = loaded;
  // The vectors for exact scans are the largest part (6 GB at a million rows of dim 1536): with
  // nothing to replay they stream in after open, while HNSW and keyword searches are answered.
  if (changes.length > 0) {
    const problem = await readRows(s, vectors);
    if (problem !== undefined) return problem;
  } else {
    s.rowsLoading = loadRows(s, vectors);
  }
  for (const change of changes) {
    if (change.kind === 'upsert') {
      const previous = s.ids[change.label];
      if (previous !== undefined && previous !== change.id) s.labelOf.delete(previous);
      const existing = s.labelOf.get(change.id);
      if (existing !== undefined && existing !== change.label) s.unmap(existing);
      index(s, change.label, change.id, change.vector, change.text);
    } else if (s.ids[change.label] === change.id) {
      s.flat.remove(change.label);
      s.hnsw.remove(change.label);
      s.bm25.remove(change.label);
      s.unmap(change.label);
    }
  }
  if (s.labelOf.size !== s.table.count()) {
    return `snapshot v${manifest.version} plus replay holds ${s.labelOf.size} documents, the store ${s.table.count()}`;
  }
  s.collectFreeLabels();
  s.changedSinceSnapshot = changes.length;
  s.snapshotVersion = manifest.version;
  return undefined;
}

export function rebuildFromStore(s: CollectionState): void {
  const count = s.table.count();
  s.hnsw.drop();
  s.hnsw = s.emptyGraph(Math.max(DEFAULT_INITIAL_CAPACITY, count));
  s.changedSinceSnapshot = count;
  let indexed = 0;
  const vectors = s.options.vectors;
  for (const { label, id, vector, text } of s.table.scan()) {
    // An int8 collection fits its codes once INT8_FIT_SAMPLE rows are in (FlatIndex.prepare).
    if (vectors && indexed++ % INT8_FIT_SAMPLE === 0) s.flat.prepare(label + 1);
    index(s, label, id, vector, text);
  }
  if (vectors) s.flat.prepare(s.flat.labelBound);
  s.collectFreeLabels();
}

/** Reads a snapshot's vector rows into the exact index; returns why it could not. */
export async function readRows(s: CollectionState, vectors: ArenaVectors): Promise<string | undefined> {
  const flat = s.flat;
  try {
    const problem = flat.restore(vectors.encoding, vectors.highWater, vectors.quantizer, vectors.live);
    if (problem !== undefined) return problem;
    for (let section = 0; section < vectors.sections; section++) {
      // Stop when the collection closes or the rows are replaced meanwhile.
      const read = await vectors.read(section, (offset, bytes) => {
        if (!s.open || flat !== s.flat) return false;
        flat.writeSection(section, offset, bytes);
        return true;
      });
      if (read !== undefined) return read;
    }
    // An int8 collection restored from f32 rows (format 3) encodes them now.
    if (s.open && flat === s.flat) flat.prepare(vectors.highWater);
    return undefined;
  } catch (error) {
    return `snapshot vector rows could not be read (${messageOf(error)})`;
  }
}

/**
 * Streams the rows in after open; rows that fail their checksum make the
 * collection rebuild from the store (with a warning), and a rebuild that
 * fails leaves it degraded.
 */
export async function loadRows(s: CollectionState, vectors: ArenaVectors): Promise<void> {
  let problem: string | undefined;
  try {
    problem = await readRows(s, vectors);
  } catch (error) {
    // Nobody awaits this load at open: whatever it throws must end here, as a rebuild, never uncaught.
    problem = `vector rows unreadable (${messageOf(error)})`;
  }
  s.rowsLoading = undefined;
  if (problem === undefined || !s.open) return;
  s.services.log.warn(`collection '${s.name}': ${problem}; rebuilding from the store (${s.table.count()} documents)`);
  try {
    s.reset();
    rebuildFromStore(s);
    s.snapshotVersion = 0;
  } catch (error) {
    degrade(s, messageOf(error));
  }
}
